/**
 * `bevbuild lineage <target>`: what the target's files were made from — datasets, the config chain,
 * code commits, toolchains, every intermediate (checkpoint, ONNX, INT8 IR, validation) — as a text
 * tree, `--json` or `--format mermaid`. `bevbuild lineage --uses PATH`: which nodes and deploy
 * directories were built from a file (a checkpoint, a dataset file, a config).
 */
import type {Options} from '../cli-options.ts';
import {collectLineage} from '../lineage/collect.ts';
import {renderLineageMermaid, renderLineageText} from '../lineage/render.ts';
import {renderUses, usesQuery} from '../lineage/uses.ts';
import {EXIT, makeReporter, openAndSelect, printDiagnostics} from './common.ts';
import {openWorkspace} from '../engine/open-workspace.ts';

export async function lineageCommand(opts: Options): Promise<number> {
  if (opts.uses !== undefined) {
    const ws = await openWorkspace(opts.root, makeReporter(opts, 0));
    if (!ws.ok) {
      printDiagnostics(ws.error, process.cwd(), opts.json);
      return EXIT.usage;
    }
    const answer = await usesQuery(ws.value, opts.uses);
    process.stdout.write(opts.json ? `${JSON.stringify({type: 'uses', ...answer})}\n` : `${renderUses(answer)}\n`);
    return EXIT.ok;
  }
  const opened = await openAndSelect(opts, makeReporter(opts, 0), false);
  if (typeof opened === 'number') return opened;
  const lineage = await collectLineage(opened.ws, opened.targets);
  if (opts.json || opts.format === 'json') process.stdout.write(`${JSON.stringify({type: 'lineage', ...lineage})}\n`);
  else if (opts.formatGiven && opts.format === 'mermaid') process.stdout.write(`${renderLineageMermaid(lineage)}\n`);
  else if (opts.formatGiven) {
    process.stderr.write(`bevbuild lineage: expected --format mermaid|json (or none for the text tree), got "${opts.format}"\n`);
    return EXIT.usage;
  } else process.stdout.write(renderLineageText(lineage));
  const unbuilt = lineage.nodes.filter((n) => !n.builtAt).map((n) => n.id);
  if (unbuilt.length && !opts.json) process.stderr.write(`note: ${unbuilt.length} node(s) have no good build in this workspace (${unbuilt.slice(0, 3).join(', ')}${unbuilt.length > 3 ? ', …' : ''}); build the target first for a complete lineage\n`);
  return EXIT.ok;
}
