/**
 * Colours for human output, following the conventions users set once for every tool:
 * `FORCE_COLOR` (set and not `0`/`false`: on; `0`/`false`: off) wins, as in Node itself; else
 * `NO_COLOR` (set and not empty: off, https://no-color.org); else a terminal that is not `dumb`.
 */
export function colorEnabled(stream: {isTTY?: boolean}, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env['NO_COLOR']) return false;
  return Boolean(stream.isTTY) && env['TERM'] !== 'dumb';
}

/** SGR wrappers; identity functions when colour is off. */
export interface Palette {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
}

export function palette(on: boolean): Palette {
  const sgr = (code: number) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  return {green: sgr(32), red: sgr(31), yellow: sgr(33), dim: sgr(2)};
}
