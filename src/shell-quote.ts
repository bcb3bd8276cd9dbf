/**
 * Quoting for a POSIX shell, used wherever bevbuild shows or writes a command a person (or a batch
 * script) will run: the argv line at the top of a node's log, a failure's `argv:`, the SLURM script.
 */

/** Quotes a string for a POSIX shell (single quotes; embedded quotes closed and escaped); plain words stay bare. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
