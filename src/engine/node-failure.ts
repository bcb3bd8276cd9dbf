/**
 * What stopped a node, as data, for the failures the engine finds itself (the tool's exit status,
 * its outputs, the resource pools, its own key computation). Produced where the failure is found,
 * worded once by `nodeFailure` into the `Failure` every reporter prints; `--json` writes the data
 * as the `failed` event's `cause` beside its words (`reason` is the kind, `message` the text).
 * Failures of executors and rule checks keep their own reasons and have no `cause`.
 */
import {fail, unreachable, type Failure} from '../result.ts';

export type NodeFailure =
  /** The tool exited non-zero or was killed by `signal` (and the rule does not decide by its own check). */
  | {kind: 'exit-non-zero'; program: string; exitCode: number; signal?: string}
  /** Declared outputs absent after a successful exit (`exitCode`), or gone before they were recorded. */
  | {kind: 'output-missing'; paths: string[]; exitCode?: number}
  /** Outputs that cannot be stored (symlinks, sockets…), each with what it is. */
  | {kind: 'output-invalid'; problems: string[]}
  /** `offMachine`: the executors that could run it elsewhere (`slurm`). */
  | {kind: 'no-gpu'; needs: number; pool: number; offMachine: string[]}
  /** A bug or an unreadable input while computing the action key. */
  | {kind: 'internal-error'; error: string};

/** The words of a node failure (`Failure.message`) and its detail lines. */
function describe(f: NodeFailure): {message: string; details?: string[]} {
  switch (f.kind) {
    case 'exit-non-zero':
      return {message: `${f.program} exited with ${f.signal ?? `code ${f.exitCode}`}`};
    case 'output-missing':
      return f.exitCode === undefined
        ? {message: `output ${f.paths.join(', ')} vanished`}
        : {message: `the tool exited ${f.exitCode} but did not produce ${f.paths.length} declared output(s); nothing was recorded`, details: f.paths.map((p) => `missing: ${p}`)};
    case 'output-invalid':
      return {message: `${f.problems.join('; ')}: outputs must be regular files or directories; nothing was recorded`};
    case 'no-gpu':
      return {message: `needs ${f.needs} GPU(s) but the gpu pool has ${f.pool}; set pools.gpu in bevbuild.config.ts or CUDA_VISIBLE_DEVICES, or run it with executor ${f.offMachine.map((e) => `'${e}'`).join(' or ')}`};
    case 'internal-error':
      return {message: `could not compute the action key: ${f.error}`};
    default:
      return unreachable(f);
  }
}

/** The failed Result of a node failure: reason = kind, message and details in words, the data as `cause`. */
export function nodeFailure(nodeId: string, cause: NodeFailure, extra: Partial<Failure> = {}): {ok: false; error: Failure} {
  const {message, details} = describe(cause);
  return fail(cause.kind, message, {nodeId, ...(details ? {details} : {}), ...extra, cause});
}
