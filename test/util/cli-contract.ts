/**
 * Machine-readable CLI descriptions and a checker, for contract tests of rules' argv: a flag the
 * real program does not have, a missing required flag, a value outside `choices`, or a wrong number
 * of positionals is caught without running the program (docker, TAO, Intel tools…).
 *
 *   const problems = checkArgv(desc, argv);   // [] when argv is acceptable
 *
 * Understands `--flag value`, `--flag=value`, `-f value`, boolean flags, and — with
 * `flagsEndAtPositional` (docker run: everything after IMAGE is the container's command) — a
 * positional that ends flag parsing; `--` always does.
 */

/** One flag of a CLI. */
export interface FlagDesc {
  takesValue: boolean;
  choices?: readonly string[];
  /** A value check beyond `choices` (e.g. `-v HOST:CONTAINER[:ro]`). */
  pattern?: RegExp;
  required?: boolean;
  repeatable?: boolean;
  /** Other spellings (`-e` for `--env`). */
  aliases?: readonly string[];
}

/** A CLI: `argv[0..program.length)` must equal `program` (e.g. `['docker', 'run']`). */
export interface CliDesc {
  program: string | readonly string[];
  positionals: {min: number; max: number; choices?: Readonly<Record<number, readonly string[]>>};
  flags: Readonly<Record<string, FlagDesc>>;
  flagsEndAtPositional?: boolean;
}

export interface ParsedArgv {
  problems: string[];
  /** Canonical flag name → values (`''` for boolean flags). */
  flags: Map<string, string[]>;
  positionals: string[];
}

const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);

export function parseArgv(desc: CliDesc, argv: readonly string[]): ParsedArgv {
  const problems: string[] = [];
  const program = typeof desc.program === 'string' ? [desc.program] : desc.program;
  const head = argv.slice(0, program.length);
  // argv[0] may be a path (`/usr/bin/docker`): compare its basename.
  if (head.length < program.length || head.some((a, i) => (i === 0 ? basename(a) : a) !== program[i])) {
    problems.push(`expected the program "${program.join(' ')}", got "${head.join(' ')}"`);
  }
  const byName = new Map<string, string>();
  for (const [name, f] of Object.entries(desc.flags)) for (const n of [name, ...(f.aliases ?? [])]) byName.set(n, name);
  const flags = new Map<string, string[]>();
  const positionals: string[] = [];
  let flagsDone = false;
  for (let i = program.length; i < argv.length; i++) {
    const a = argv[i]!;
    if (flagsDone || !a.startsWith('-') || a === '-') {
      positionals.push(a);
      if (desc.flagsEndAtPositional) flagsDone = true;
      continue;
    }
    if (a === '--') {
      flagsDone = true;
      continue;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const given = eq > 0 ? a.slice(0, eq) : a;
    const name = byName.get(given);
    if (!name) {
      problems.push(`unknown flag ${given}`);
      continue;
    }
    const f = desc.flags[name]!;
    let value = '';
    if (f.takesValue) {
      if (eq > 0) value = a.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i]!;
      else {
        problems.push(`${given} needs a value`);
        continue;
      }
      if (f.choices && !f.choices.includes(value)) problems.push(`${given} ${JSON.stringify(value)}: expected one of ${f.choices.join('|')}`);
      if (f.pattern && !f.pattern.test(value)) problems.push(`${given} ${JSON.stringify(value)}: does not match ${f.pattern}`);
    } else if (eq > 0) problems.push(`${given} takes no value`);
    const seen = flags.get(name) ?? [];
    if (seen.length && !f.repeatable) problems.push(`${given} given more than once`);
    flags.set(name, [...seen, value]);
  }
  for (const [name, f] of Object.entries(desc.flags)) if (f.required && !flags.has(name)) problems.push(`missing required flag ${name}`);
  const {min, max, choices} = desc.positionals;
  if (positionals.length < min || positionals.length > max) {
    problems.push(`expected ${min === max ? min : `${min}..${max === Infinity ? '∞' : max}`} positional(s), got ${positionals.length}: ${JSON.stringify(positionals)}`);
  }
  for (const [i, allowed] of Object.entries(choices ?? {})) {
    const v = positionals[Number(i)];
    if (v !== undefined && !allowed.includes(v)) problems.push(`positional ${i} ${JSON.stringify(v)}: expected one of ${allowed.join('|')}`);
  }
  return {problems, flags, positionals};
}

/** Every problem of `argv` against `desc`; empty when it is a valid call. */
export function checkArgv(desc: CliDesc, argv: readonly string[]): string[] {
  return parseArgv(desc, argv).problems;
}
