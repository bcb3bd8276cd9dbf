/**
 * What stopped a node, as data, for the failures the engine finds itself (the tool's exit status,
 * its outputs, the resource pools, its own key computation). Produced where the failure is found,
 * worded once by `nodeFailure` into the `Failure` every reporter prints; `--json` writes the data
 * as the `failed` event's `cause` beside its words (`reason` is the kind, `message` the text).
 * Failures of executors and rule checks keep their own reasons and have no `cause`.
 */
import {fail, unreachable, type Failure} from '../result.ts';
import type {NodeFailure} from './node-failure-cause.ts';

export type {NodeFailure};

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
