/**
 * Why a node was not attempted, as data: produced by the build where it gives up on a node, worded
 * by `skipText` where a user reads it (the text reporter, the run history) and written by `--json`
 * both ways (`because` words, `cause` data), like rebuild reasons (`rebuild-reason.ts`).
 */
import {unreachable} from '../result.ts';

/** Why the build gave up on a node before trying it. */
export type SkipReason =
  | {kind: 'dependency-failed'; dependency: string}
  /** The deferred toolchain built for this node failed or was skipped. */
  | {kind: 'toolchain-failed'; toolchain: string}
  /** A `--remote-download minimal` input could neither be fetched nor rebuilt. */
  | {kind: 'input-unavailable'}
  | {kind: 'cancelled'}
  /** An earlier node failed without `--keep-going`. */
  | {kind: 'stopped'};

/** The words of a skip reason, as the text reporter prints them in `- skipped  <id> (…)`. */
export function skipText(r: SkipReason): string {
  switch (r.kind) {
    case 'dependency-failed':
      return `dependency ${r.dependency} did not build`;
    case 'toolchain-failed':
      return `toolchain ${r.toolchain} did not build`;
    case 'input-unavailable':
      return 'an input could neither be downloaded from the remote cache nor rebuilt';
    case 'cancelled':
      return 'cancelled';
    case 'stopped':
      return 'build stopped after a failure (use --keep-going to continue)';
    default:
      return unreachable(r);
  }
}
