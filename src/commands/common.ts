/** Pieces every command shares: reporter choice, printing diagnostics, opening the workspace. */
import {formatDiagnostic, sortDiagnostics, type Diagnostic} from '../diagnostics.ts';
import {openWorkspace, type OpenWorkspace} from '../engine/open-workspace.ts';
import type {Options} from '../cli-options.ts';
import type {Reporter} from '../reporting/events.ts';
import {selectTargets} from '../graph/select.ts';

export {EXIT} from './exit-codes.ts';
import {EXIT} from './exit-codes.ts';

export {makeReporter} from '../reporting/choose-reporter.ts';

/**
 * Prints diagnostics (NDJSON with `json`). `about` names what was wrong for the closing line: the
 * configuration (default) or, e.g., the targets on the command line, which are not config errors.
 */
export function printDiagnostics(ds: Diagnostic[], cwd: string, json: boolean, about = 'in the configuration'): void {
  const sorted = sortDiagnostics(ds);
  if (json) {
    for (const d of sorted) {
      process.stdout.write(`${JSON.stringify({type: 'diagnostic', code: d.code, message: d.message, file: d.site?.file, line: d.site?.line, column: d.site?.column, path: d.path?.map(String), nodeId: d.nodeId, notes: d.notes})}\n`);
    }
    return;
  }
  process.stderr.write(`${sorted.map((d) => formatDiagnostic(d, cwd)).join('\n\n')}\n\n${sorted.length} error${sorted.length === 1 ? '' : 's'} ${about}; nothing was built.\n`);
}

/** Opens the workspace and resolves targets (all nodes when none are given and `allByDefault`). */
export async function openAndSelect(
  opts: Options,
  reporter: Reporter,
  allByDefault: boolean,
  /**
   * Ids that may name something outside the graph (`clean`: kept partial runs of a node since
   * removed from the config): given as targets and absent from the graph, they come back as
   * `absent` instead of failing the selection.
   */
  mayBeAbsent?: ReadonlySet<string>,
): Promise<{ws: OpenWorkspace; targets: string[]; absent: string[]} | number> {
  const ws = await openWorkspace(opts.root, reporter);
  if (!ws.ok) {
    printDiagnostics(ws.error, process.cwd(), opts.json);
    return EXIT.usage;
  }
  if (opts.targets.length === 0) {
    if (allByDefault) return {ws: ws.value, targets: ws.value.graph.order, absent: []};
    const roots = ws.value.graph.order.filter((id) => ws.value.graph.dependents.get(id)!.length === 0);
    process.stderr.write(`expected one or more targets, e.g. \`bevbuild ${roots[0] ?? 'deploy/kitti/second'}\`.\nTop-level artifacts: ${roots.join(', ')}\n`);
    return EXIT.usage;
  }
  const absent = opts.targets.filter((t) => mayBeAbsent?.has(t) && !ws.value.graph.nodes.has(t));
  const wanted = opts.targets.filter((t) => !absent.includes(t));
  if (wanted.length === 0) return {ws: ws.value, targets: [], absent};
  const sel = selectTargets(ws.value.graph, wanted);
  if (!sel.ok) {
    printDiagnostics(sel.error, process.cwd(), opts.json, `in the target${opts.targets.length === 1 ? '' : 's'} given`);
    return EXIT.usage;
  }
  return {ws: ws.value, targets: sel.value, absent};
}
