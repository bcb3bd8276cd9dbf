/**
 * A throwaway workspace for end-to-end tests: write files (a `bevbuild.config.ts` importing this
 * checkout's API by absolute path), run the real `bevbuild` executable in it, read the results.
 * Dispose with `await using rig = await WorkspaceRig.create()`.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {repoRoot} from './venv.ts';

export const BEVBUILD = join(repoRoot, 'bin', 'bevbuild.js');
export const API = join(repoRoot, 'src', 'index.ts');

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class WorkspaceRig {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async create(): Promise<WorkspaceRig> {
    return new WorkspaceRig(mkdtempSync(join(tmpdir(), 'bevbuild-rig-')));
  }

  write(files: Record<string, string>): void {
    for (const [rel, text] of Object.entries(files)) {
      const p = join(this.dir, rel);
      mkdirSync(dirname(p), {recursive: true});
      if (existsSync(p)) chmodSync(p, 0o644);
      writeFileSync(p, text);
    }
  }

  read(rel: string): string {
    return readFileSync(join(this.dir, rel), 'utf8');
  }

  exists(rel: string): boolean {
    return existsSync(join(this.dir, rel));
  }

  path(rel: string): string {
    return join(this.dir, rel);
  }

  /** Starts `bevbuild …` in the workspace; `done` resolves when it exits. */
  spawn(args: string[], env: Record<string, string> = {}): {child: ChildProcess; done: Promise<ExecResult>; output: () => string} {
    const child = spawn(process.execPath, [BEVBUILD, ...args], {
      cwd: this.dir,
      env: {...process.env, CI: '1', NO_COLOR: '1', ...env},
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<ExecResult>((resolve) => child.on('close', (code) => resolve({code, stdout, stderr})));
    return {child, done, output: () => stdout + stderr};
  }

  exec(args: string[], env: Record<string, string> = {}): Promise<ExecResult> {
    return this.spawn(args, env).done;
  }

  /** Runs with `--json` and returns the parsed events. */
  async json(args: string[], env: Record<string, string> = {}): Promise<{code: number | null; events: Record<string, unknown>[]; stderr: string}> {
    const r = await this.exec([...args, '--json'], env);
    const events = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return {code: r.code, events, stderr: r.stderr};
  }

  async [Symbol.asyncDispose](): Promise<void> {
    rmSync(this.dir, {recursive: true, force: true});
  }
}

/** The summary event of a `--json` run. */
export function summaryOf(events: Record<string, unknown>[]): {executed: number; restored: number; fresh: number; failed: number} {
  const s = events.findLast((e) => e['type'] === 'summary');
  if (!s) throw new Error(`no summary event in ${JSON.stringify(events)}`);
  return s as never;
}

/** Ids of nodes that executed in a `--json` run. */
export function executedIds(events: Record<string, unknown>[]): string[] {
  return events.filter((e) => e['type'] === 'done' && e['status'] === 'executed').map((e) => e['id'] as string).sort();
}

/** A config with a generic shell rule (`sh`), for engine tests. */
export function shConfig(artifacts: string, extraRuleFields = ''): string {
  return `import {defineConfig, defineRule, z} from ${JSON.stringify(API)};

export const sh = defineRule({
  name: 'test/sh',
  version: Number(process.env.RULE_VERSION ?? 1),
  params: z.object({script: z.string(), inputs: z.array(z.string()).default([]), outputs: z.array(z.string()), env: z.record(z.string(), z.string()).default({})}).strict(),
  inputs: (p) => p.inputs,
  outputs: (p) => p.outputs,
  argv: (p, ctx) => ['bash', '-c', p.script, 'sh', ...p.inputs.map(ctx.in), ...p.outputs.map(ctx.out)],
  env: (p) => p.env,${extraRuleFields}
});

export default defineConfig({
  artifacts: {
${artifacts}
  },
});
`;
}
