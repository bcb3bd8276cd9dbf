/**
 * Why a node is not fresh, as data (DESIGN.md decision 2): produced where it is found out (the key
 * record diff, the output check, the build's own decisions), carried on `plan`/`start` events, and
 * turned into words only where a user or a script reads them (`reasonText`). Code that needs to
 * know what kind of reason it holds switches on `kind` instead of matching the words.
 * Each kind is also the first word of its text (`input-changed: configs/Kitti/default.yaml`).
 */
import {unreachable} from '../result.ts';

/** A change between the key record of the last good build and the current one. */
export type KeyChange =
  | {kind: 'no-record'}
  | {kind: 'key-changed'}
  | {kind: 'key-format-changed' | 'rule-changed' | 'rule-version-changed' | 'cwd-changed' | 'platform-changed'; from: string; to: string}
  | {kind: 'param-changed'; param: string}
  /**
   * An environment variable of the key changed, or (`toolchain`) the node's toolchain, named by its
   * id; `changes` are the toolchain's own words for it (`nncf 3.4.0→3.3.0`).
   */
  | {kind: 'env-changed'; name: string; toolchain?: true; changes?: string[]}
  /** `producer`: the node whose output the path is; `changes`: the rule's own words (venv pins). */
  | {kind: 'input-added' | 'input-removed' | 'input-changed'; path: string; producer?: string; changes?: string[]}
  | {kind: 'argv-changed' | 'outputs-changed'};

/** A recorded output that differs on disk; `moreFiles` sums up the files of a directory not named one by one. */
export type OutputProblem = {kind: 'output-missing' | 'output-modified' | 'output-added'; path: string; moreFiles?: number};

/** Every reason a plan or a start line gives; `kind` says which, the other fields what changed. */
export type RebuildReason =
  | KeyChange
  | OutputProblem
  /** Dry run: a dependency will run first, so the node's inputs are not known yet. */
  | {kind: 'dependency-will-run'; dependency: string}
  | {kind: 'forced'}
  /** A `--remote-download minimal` restore whose bytes could not be fetched when needed. */
  | {kind: 'remote-object-unavailable'}
  /** A cache record that could not be restored, so the tool runs. */
  | {kind: 'cache-entry-unusable'}
  /** Not a reason to rebuild but where a restore comes from, listed with the reasons it has. */
  | {kind: 'from-cache'; cache: 'local' | 'remote'};

/** The words of a reason, as `plan`, `status`, `why` and the build's start lines print them. */
export function reasonText(r: RebuildReason): string {
  switch (r.kind) {
    case 'no-record':
    case 'key-changed':
    case 'argv-changed':
    case 'outputs-changed':
    case 'remote-object-unavailable':
    case 'cache-entry-unusable':
      return r.kind;
    case 'key-format-changed':
    case 'rule-changed':
    case 'rule-version-changed':
    case 'cwd-changed':
    case 'platform-changed':
      return `${r.kind}: ${r.from}→${r.to}`;
    case 'param-changed':
      return `${r.kind}: ${r.param}`;
    case 'env-changed':
      return `${r.kind}: ${r.name}${detail(r.changes)}`;
    case 'input-added':
    case 'input-removed':
    case 'input-changed':
      return `${r.kind}: ${r.path}${r.producer ? ` (from ${r.producer})` : ''}${detail(r.changes)}`;
    case 'output-missing':
    case 'output-modified':
    case 'output-added':
      return `${r.kind}: ${r.path}${r.moreFiles ? ` (${r.moreFiles} more files)` : ''}`;
    case 'dependency-will-run':
      return `${r.kind}: ${r.dependency}`;
    case 'forced':
      return 'forced (-B/--force)';
    case 'from-cache':
      return `from ${r.cache} cache`;
    default:
      return unreachable(r);
  }
}

const detail = (changes: string[] | undefined) => (changes?.length ? ` (${changes.join(', ')})` : '');
