/**
 * Resolves command-line targets to node ids: an exact id, a glob over ids (`deploy/**`), or a
 * workspace path of a declared output (its producer). Unknown names get "did you mean".
 */
import {COMMANDS} from '../cli-options.ts';
import type {Diagnostic} from '../diagnostics.ts';
import type {Result} from '../result.ts';
import {globToRegExp, isGlob} from './glob.ts';
import type {Graph} from './graph.ts';
import {suggest} from './suggest.ts';

export function selectTargets(graph: Graph, patterns: string[]): Result<string[], Diagnostic[]> {
  const ids = [...graph.nodes.keys()];
  const selected = new Set<string>();
  const diags: Diagnostic[] = [];
  for (const raw of patterns) {
    const pat = raw.replace(/^\.\//, '').replace(/\/$/, '');
    if (graph.nodes.has(pat)) {
      selected.add(pat);
      continue;
    }
    if (isGlob(pat)) {
      const re = globToRegExp(pat);
      const hits = ids.filter((id) => re.test(id));
      if (hits.length) {
        hits.forEach((h) => selected.add(h));
        continue;
      }
    }
    const owner = graph.outputOwner.get(pat);
    if (owner) {
      selected.add(owner);
      continue;
    }
    const near = suggest(pat, ids);
    const command = suggest(pat, COMMANDS, 1)[0];
    const under = ids.filter((id) => id.startsWith(`${pat}/`)).slice(0, 4);
    const points = ids.filter((id) => id.startsWith(`${pat}@`));
    const notes = [
      ...near.map((n) => `did you mean "${n}"?`),
      ...(command && !pat.includes("/") ? [`did you mean the command \`bevbuild ${command}\`? (see bevbuild --help)`] : []),
      ...(under.length ? [`"${pat}" is a prefix; select all under it with "${pat}/**" (e.g. ${under.join(', ')})`] : []),
      ...(points.length ? [`"${pat}" is a sweep of ${points.length} points; select them all with "${pat}@*" (e.g. ${points.slice(0, 2).join(', ')})`] : []),
      ...(near.length || under.length || points.length || command ? [] : ['list the artifacts with `bevbuild graph --format json` or `bevbuild status`']),
    ];
    diags.push({code: 'unknown-target', message: `unknown target "${raw}"`, notes});
  }
  if (diags.length) return {ok: false, error: diags};
  return {ok: true, value: [...selected].sort()};
}
