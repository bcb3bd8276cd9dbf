/** `bevbuild graph [target] --format mermaid|dot|json`: the artifact graph as a picture or data. */
import type {Options} from '../cli-options.ts';
import {closure} from '../graph/graph.ts';
import {EXIT, makeReporter, openAndSelect} from './common.ts';

export async function graphCommand(opts: Options): Promise<number> {
  const opened = await openAndSelect(opts, makeReporter(opts, 0), true);
  if (typeof opened === 'number') return opened;
  const {ws, targets} = opened;
  const ids = closure(ws.graph, targets);
  const nodes = ids.map((id) => ws.graph.nodes.get(id)!);
  const label = (id: string) => `${id}\\n${ws.graph.nodes.get(id)!.rule.name}`;
  let text: string;
  if (opts.format === 'json') {
    text = JSON.stringify({
      nodes: nodes.map((n) => ({id: n.id, rule: n.rule.name, ruleVersion: n.rule.version, deps: n.deps, outputs: n.outputs, toolchain: n.toolchain ?? null, executor: n.executor, resources: n.resources})),
    }, null, 2);
  } else if (opts.format === 'dot') {
    const lines = ['digraph bevbuild {', '  rankdir=LR;', '  node [shape=box, fontname="Helvetica"];'];
    for (const n of nodes) lines.push(`  "${n.id}" [label="${label(n.id)}"${n.id.startsWith('env/') ? ', style=dashed' : ''}];`);
    for (const n of nodes) for (const d of n.deps) lines.push(`  "${d}" -> "${n.id}";`);
    lines.push('}');
    text = lines.join('\n');
  } else {
    const mid = new Map(ids.map((id, i) => [id, `n${i}`]));
    const lines = ['flowchart LR'];
    for (const n of nodes) lines.push(`  ${mid.get(n.id)}["${n.id}<br/><small>${n.rule.name}</small>"]`);
    for (const n of nodes) for (const d of n.deps) lines.push(`  ${mid.get(d)} --> ${mid.get(n.id)}`);
    text = lines.join('\n');
  }
  process.stdout.write(`${text}\n`);
  return EXIT.ok;
}
