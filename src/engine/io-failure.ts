/**
 * File-system errors the user can act on (a full disk, a read-only workspace, permissions) become
 * failures with a plain message; anything else is a bug and keeps throwing.
 */
import {fail, type Failure} from '../result.ts';

const PLAIN: Record<string, string> = {
  ENOSPC: 'no space left on device (free some space and build again)',
  EDQUOT: 'disk quota exceeded (free some space and build again)',
  EROFS: 'the file system is read-only (bevbuild writes outputs and .bevbuild/ in the workspace)',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EMFILE: 'too many open files (raise `ulimit -n`)',
};

/** What an I/O error means for the user, e.g. `no space left on device (…) [ENOSPC]`. */
export function describeIoError(e: NodeJS.ErrnoException): string {
  const plain = e.code ? PLAIN[e.code] : undefined;
  return plain ? `${plain} [${e.code}]` : e.message;
}

/**
 * `<doing>: <what the error means> (<path>)` for an actionable I/O error; undefined for anything
 * else. For callers that say themselves what the error costs (a warning, a config diagnostic).
 */
export function ioErrorText(e: unknown, doing: string): string | undefined {
  const err = e as NodeJS.ErrnoException;
  if (!err || typeof err !== 'object' || !err.code || !PLAIN[err.code]) return undefined;
  return `${doing}: ${describeIoError(err)}${err.path ? ` (${err.path})` : ''}`;
}

/** A failure for an actionable I/O error thrown while `doing` something (nothing was recorded); undefined for anything else. */
export function ioFailure(e: unknown, doing: string, nodeId?: string): {ok: false; error: Failure} | undefined {
  const text = ioErrorText(e, doing);
  return text === undefined ? undefined : fail('io-error', `${text}; nothing was recorded`, nodeId ? {nodeId} : {});
}
