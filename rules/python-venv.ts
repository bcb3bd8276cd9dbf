/**
 * Toolchain rule: a Python virtual environment built from a pinned requirements file under
 * `.bevbuild/envs/<name>/` (DESIGN.md decision 7). Keyed by the requirements' content, the
 * interpreter binary and this rule's version; its output is a fingerprint marker (Python version
 * + installed distributions), so nodes using the env rebuild when — and only when — what is
 * installed changes. Venvs are not relocatable, so they are never put in the content store.
 */
import {existsSync, readFileSync, realpathSync} from 'node:fs';
import {delimiter, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {defineRule, z, type ToolchainPart} from '../src/index.ts';

const MAKE_VENV = fileURLToPath(new URL('./tools/make_venv.py', import.meta.url));

export const envDir = (name: string) => `.bevbuild/envs/${name}`;

/** The interpreter a venv is made from (first `python3` on PATH unless given), resolved to its real file. */
function baseInterpreter(python: string): string {
  if (python.includes('/')) return realpathSync(python);
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const p = join(dir, python);
    if (dir && existsSync(p)) return realpathSync(p);
  }
  return python; // reported as a missing input by the analyzer
}

const norm = (n: string) => n.toLowerCase().replace(/_/g, '-');

/**
 * The `name==version` pins of a requirements file (names normalized); `exact` is false when some
 * line is anything else (a range, marker, URL, option or include), i.e. pip decides what it gets.
 */
function readPins(requirements: string): {pins: Map<string, string>; exact: boolean} {
  const pins = new Map<string, string>();
  let exact = true;
  for (const raw of readFileSync(requirements, 'utf8').split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    const m = /^([A-Za-z0-9_.-]+)\s*==\s*([^\s;]+)(.*)$/.exec(line);
    if (m) pins.set(norm(m[1]!), m[2]!);
    if (line && (!m || m[3])) exact = false;
  }
  return {pins, exact};
}

/**
 * The part of the venv a dependent uses (`toolchainUses`: distribution names): the interpreter,
 * the venv maker and those distributions' pins. Undefined (key on the whole env) unless every one
 * is pinned exactly in a file of plain pins: otherwise only the installed env could tell.
 */
function venvPart(requirements: string, python: string, uses: string[]): ToolchainPart | undefined {
  let read: ReturnType<typeof readPins>;
  try {
    read = readPins(requirements);
  } catch {
    return undefined; // reported as a missing input of the env node
  }
  const pins = uses.map((u) => [norm(u), read.pins.get(norm(u))] as const);
  if (!read.exact || pins.some(([, v]) => v === undefined)) return undefined;
  return {inputs: [baseInterpreter(python), MAKE_VENV], facts: {pins: Object.fromEntries(pins)}};
}

/** `name old→new` for every pin that differs from what the existing venv has installed. */
function pinChanges(marker: string, requirements: string): string[] | undefined {
  try {
    const installed = (JSON.parse(readFileSync(marker, 'utf8')) as {packages: Record<string, string>}).packages;
    const pinned = readPins(requirements).pins;
    const have = new Map(Object.entries(installed).map(([n, v]) => [norm(n), v]));
    const out: string[] = [];
    for (const [n, v] of pinned) if (have.get(n) !== v) out.push(`${n} ${have.get(n) ?? '(none)'}→${v}`);
    for (const [n, v] of have) if (!pinned.has(n) && pinned.size) out.push(`${n} ${v}→(unpinned)`);
    return out.slice(0, 5);
  } catch {
    return undefined; // no venv yet: nothing to compare with
  }
}

export const pythonVenv = defineRule({
  name: 'python-venv',
  version: 1,
  description: 'A Python venv from pinned requirements, fingerprinted by its installed distributions',
  params: z
    .object({
      name: z.string().regex(/^[a-z0-9_-]+$/),
      requirements: z.string(),
      python: z.string().default('python3'),
    })
    .strict(),
  inputs: (p) => [p.requirements, baseInterpreter(p.python), MAKE_VENV],
  outputs: (p) => [`${envDir(p.name)}/bevbuild-env.json`],
  argv: (p, ctx) => [baseInterpreter(p.python), MAKE_VENV, '--dir', ctx.in(envDir(p.name)), '--requirements', ctx.in(p.requirements), '--marker', ctx.out(`${envDir(p.name)}/bevbuild-env.json`)],
  cache: false,
  stage: false,
  timeoutMs: () => 30 * 60_000,
  providesPython: (p, root) => join(root, envDir(p.name), 'bin', 'python'),
  toolchainPart: (p, uses, ctx) => venvPart(join(ctx.root, p.requirements), p.python, uses),
  explainChange: (p, root) => pinChanges(join(root, envDir(p.name), 'bevbuild-env.json'), join(root, p.requirements)),
  providesEnv: (p, root) => ({VIRTUAL_ENV: join(root, envDir(p.name)), PATH_PREFIX: join(root, envDir(p.name), 'bin')}),
});
