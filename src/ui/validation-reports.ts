/**
 * The INT8-vs-FP32 reports of the validation gates in view: every node with a declared
 * `…/validation.json` output (written by the native gate: `native/validate.ts` ValidationResult),
 * read from the workspace as the page embeds it, with the gate's own `report.html` when present.
 * A gate that failed exits non-zero, so its outputs never reach the workspace: bevbuild keeps that
 * run's staging dir beside its log (`<log>.outputs/`), and the report of the failed run is read
 * from there — the failing frames are what a user opens the page for.
 */
import {existsSync, readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import type {Graph} from '../graph/graph.ts';
import type {GateTimings, ValidationResult} from '../../native/validate.ts';

export interface ValidationReport {
  id: string;
  /** Workspace-relative path of validation.json. */
  path: string;
  result: ValidationResult | undefined;
  /** Why `result` is missing: not built yet, or unreadable. */
  problem: string | undefined;
  /** Workspace-relative report.html beside it, when it exists. */
  reportHtml: string | undefined;
  builtAt: string | undefined;
  /** When the gate finished (its timings.json beside validation.json), if recorded. */
  finishedAt: string | undefined;
  /** Set when the report comes from the kept outputs of a failed run (not from the workspace). */
  failedRun: string | undefined;
}

/**
 * `keptOutputs(id)`: the workspace-relative dir holding the kept outputs of the node's last run
 * when that run failed (`<log>.outputs`), else undefined.
 */
/** `finishedAt` of the gate's timings.json (native/validate.ts GateTimings), when there is one. */
function finishedAt(file: string): string | undefined {
  try {
    const v = (JSON.parse(readFileSync(file, 'utf8')) as Partial<GateTimings>).finishedAt;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

export function validationReports(graph: Graph, ids: string[], builtAt: (id: string) => string | undefined, keptOutputs: (id: string) => {dir: string; runId: string} | undefined): ValidationReport[] {
  const out: ValidationReport[] = [];
  for (const id of ids) {
    const path = graph.nodes.get(id)!.outputs.find((o) => o === 'validation.json' || o.endsWith('/validation.json'));
    if (!path) continue;
    const kept = keptOutputs(id);
    const shown = kept && existsSync(join(graph.root, kept.dir, path)) ? join(kept.dir, path) : path;
    const abs = join(graph.root, shown);
    let result: ValidationResult | undefined;
    let problem: string | undefined;
    if (!existsSync(abs)) problem = `not built yet: \`bevbuild ${id}\` writes ${path}`;
    else {
      try {
        const v = JSON.parse(readFileSync(abs, 'utf8')) as ValidationResult;
        if (Array.isArray(v?.frames) && v.criteria && v.margins) result = v;
        else problem = `${shown} is not a validation report of the native gate (expected frames, criteria and margins)`;
      } catch (e) {
        problem = `${shown} could not be read: ${(e as Error).message}`;
      }
    }
    const html = join(dirname(shown), 'report.html');
    const failedRun = shown === path ? undefined : kept?.runId;
    out.push({id, path: shown, result, problem, reportHtml: existsSync(join(graph.root, html)) ? html : undefined, builtAt: failedRun ? undefined : builtAt(id), finishedAt: finishedAt(join(graph.root, dirname(shown), 'timings.json')), failedRun});
  }
  return out;
}
