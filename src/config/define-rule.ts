/**
 * The rule API. A rule is a typed template that wraps one tool: a zod params schema plus pure
 * functions of the params that give the tool's inputs, outputs, argv, env and resources. Applying
 * a rule to params (`trainRule({...})`) declares an artifact; nothing runs and nothing is read at
 * declaration time, so analysis stays fast and testable.
 */
import {z} from 'zod';
import type {SlurmResources} from '../executors/job.ts';
import type {ExecutorName} from '../executors/registry.ts';
import type {ResumeSpec} from '../engine/resume.ts';
import type {Result} from '../result.ts';
import {lazyCallSite, type CallSite} from './call-site.ts';
import {SEMANTIC_KINDS, type SemanticKind} from '../../cache/semantic/kinds.ts';

/** An input: a workspace-relative (or absolute) file, directory or glob, or every output of an artifact. */
export type InputRef = string | {artifact: string};

/** What `inputs` may look at: the workspace root (to find files such as a config's default.yaml chain). */
export interface DeclContext {
  root: string;
}

/** Paths handed to argv/env/check functions. Output paths point into the run's staging area. */
export interface RunContext {
  /** Absolute workspace root. */
  root: string;
  /** Absolute path of a workspace-relative input path (absolute paths pass through). */
  in(path: string): string;
  /** Absolute (staging) path where the tool must write the declared output `path`. */
  out(path: string): string;
  /**
   * Absolute (staging) path of the workspace-relative directory `dir` holding declared outputs, for
   * tools told a directory rather than files (`--out-dir`, a container mount). Throws unless a
   * declared output lies inside `dir`, so a tool is never handed a directory its node does not own.
   */
  outDir(dir: string): string;
  /** A fresh scratch directory for this run, deleted afterwards. */
  tmp: string;
  /** Interpreter of the node's toolchain (`toolchain` of the rule); throws if it has none. */
  python(): string;
  /** GPU device ids assigned to this run by the `gpu` pool (empty without GPUs). */
  gpus: string[];
}

/** What post-run checks may look at. */
export interface CheckContext extends RunContext {
  /** Full text of the run's log (stdout + stderr). */
  log(): Promise<string>;
  /** How the tool ended. Only rules with `exitCode: 'check'` ever see a non-zero code here. */
  exitCode: number;
  /** Signal name if the tool was killed by one. */
  signal?: string;
}

export interface Resources {
  /** Slots of the `cpu` pool (default 1). */
  cpu?: number;
  /** Number of GPU devices (default 0); concrete ids are assigned via CUDA_VISIBLE_DEVICES. */
  gpu?: number;
}

export interface RuleSpec<S extends z.ZodType> {
  /** Unique rule name, e.g. `intel/train`; part of every action key. */
  name: string;
  /** Bump when the rule's semantics change: every artifact of the rule rebuilds. */
  version: number;
  description?: string;
  params: S;
  /** Artifact id of the toolchain (env) node the tool runs in, e.g. `env/bev`. */
  toolchain?: (p: z.output<S>) => string | undefined;
  /**
   * The part of the toolchain the tool depends on (for a Python env: distribution names, e.g.
   * `['openvino']` for an addon that links only the OpenVINO runtime). The node is keyed on that
   * part alone when the toolchain can isolate it (`toolchainPart`), else on the whole toolchain.
   * Default: the whole toolchain.
   */
  toolchainUses?: (p: z.output<S>) => string[] | undefined;
  inputs?: (p: z.output<S>, ctx: DeclContext) => InputRef[];
  /** Workspace-relative paths of every file or directory the tool produces. */
  outputs: (p: z.output<S>) => string[];
  /**
   * Outputs with a semantic digest (`cache/semantic/`): one kind for every output, or output path →
   * kind. Dependents key on what the file means, so an output whose bytes change only in metadata
   * (producer version, doc strings, timestamps) does not re-run them; `audit --rebuild` compares such
   * outputs by meaning where bytes differ.
   */
  semantic?: SemanticKind | ((p: z.output<S>) => Record<string, SemanticKind>);
  /**
   * Set when the tool cannot give byte-identical outputs on a rerun (say why): `audit --rebuild`
   * then accepts outputs whose semantic digests (see `semantic`, required) are equal.
   */
  nondeterministic?: string;
  argv: (p: z.output<S>, ctx: RunContext) => string[];
  /** Working directory, workspace-relative (default: workspace root). */
  cwd?: (p: z.output<S>) => string;
  /** Declared environment variables: their values enter the action key. */
  env?: (p: z.output<S>, ctx: RunContext) => Record<string, string>;
  /**
   * Variables of the invoking shell the tool reads and gets as they are, when set (device
   * selectors, retry/cool-down knobs, a runtime's `setvars` variables). Not keyed: they must not
   * change what the tool produces — a variable that does belongs in `env`.
   */
  passEnv?: (p: z.output<S>) => string[];
  resources?: (p: z.output<S>) => Resources;
  /**
   * Why this artifact cannot be built with the current settings (e.g. a dataset variable is not
   * set), or undefined. Checked for the selected targets before anything runs: a build stops with
   * exit 2 and this message, a dry run plans and warns. Artifacts that are not selected never matter.
   */
  unavailable?: (p: z.output<S>) => string | undefined;
  timeoutMs?: (p: z.output<S>) => number | undefined;
  /** Where the tool runs: a name from `src/executors/registry.ts` (default `local`). */
  executor?: (p: z.output<S>) => ExecutorName;
  /** Options of the `slurm` executor (sbatch resources), checked when the config is analysed. */
  slurm?: (p: z.output<S>) => SlurmResources;
  /**
   * How the tool continues an interrupted run (training): the state directory, how checkpoints are
   * named, and the arguments that resume from one. An interrupted run's state is kept under
   * `.bevbuild/partial/<actionKey>/` and the next run of the same key resumes from its last
   * complete checkpoint (README "Resumable training"). Needs staging (`stage` true).
   */
  resume?: (p: z.output<S>) => ResumeSpec | undefined;
  /** Nodes sharing an exclusive name never run at the same time (tools with fixed scratch dirs). */
  exclusive?: (p: z.output<S>) => string | undefined;
  /** Store outputs in the content store (default true). Venvs and other non-relocatable trees say false. */
  cache?: boolean;
  /** Give the tool staging paths (default true). False: the tool writes in place (old outputs removed first). */
  stage?: boolean;
  /**
   * How stored outputs appear in the workspace. `'link'` (default): reflink, else a hardlink that
   * shares the store object's read-only inode (no copy, no extra space). `'copy'`: writable
   * copies, for outputs people edit in place (an in-place write to a hardlink changes the object;
   * bevbuild detects that, but a copy keeps the store out of reach). See README "Materialization".
   */
  materialize?: 'link' | 'copy';
  /**
   * Who decides success. `'fail'` (default): a non-zero exit code fails the node. `'check'`: the exit
   * code is only evidence — `check` (required then) decides, gets `ctx.exitCode`, and runs right
   * after the tool, before the declared-outputs test, so its verdict is the message users see.
   * For tools whose exit status lies (TAO 5.5 exits 0 on failure; a teardown SIGSEGV can follow a
   * complete run).
   */
  exitCode?: 'fail' | 'check';
  /** Rule-specific success checks after the tool exited 0 and every output exists (see `exitCode`). */
  check?: (p: z.output<S>, ctx: CheckContext) => Promise<Result<void>> | Result<void>;
  /**
   * For `audit`: whether intact outputs also work here (e.g. a binary loads with this workspace's
   * toolchain), beyond matching their recorded digests. `env` is what the toolchain provides.
   */
  audit?: (p: z.output<S>, ctx: {root: string; env: Record<string, string>}) => Promise<Result<void>> | Result<void>;
  /** For toolchain rules: the interpreter path nodes using this toolchain get from `ctx.python()`. */
  providesPython?: (p: z.output<S>, root: string) => string;
  /**
   * For toolchain rules: what changed since the toolchain was last built, in words (`nncf
   * 3.4.0→3.3.0`), shown in the rebuild reasons of the nodes that use it. May read files.
   */
  explainChange?: (p: z.output<S>, root: string) => string[] | undefined;
  /**
   * For toolchain rules: what a part of the toolchain (a dependent's `toolchainUses`) consists of —
   * some of this rule's own inputs plus facts (e.g. pinned versions) — so that dependents key on
   * that part only. `undefined` when the part cannot be isolated (the whole toolchain is keyed).
   */
  toolchainPart?: (p: z.output<S>, uses: string[], ctx: DeclContext) => ToolchainPart | undefined;
  /** For toolchain rules: environment variables every node using this toolchain gets (not keyed: dependents key on the toolchain's key, or the part they use). */
  providesEnv?: (p: z.output<S>, root: string) => Record<string, string>;
}

/** A part of a toolchain (see `RuleSpec.toolchainPart`). */
export interface ToolchainPart {
  /** Inputs of the toolchain rule (as its `inputs` lists them) whose digests make the part. */
  inputs: string[];
  /** Anything else that identifies the part (JSON), e.g. `{openvino: '2026.4.1'}`. */
  facts?: unknown;
}

/** A rule application: an artifact declaration waiting for analysis. */
export interface ArtifactDecl {
  readonly kind: 'artifact';
  readonly rule: Rule<z.ZodType>;
  readonly params: unknown;
  readonly site: CallSite | undefined;
}

export interface Rule<S extends z.ZodType> {
  (params: z.input<S>): ArtifactDecl;
  readonly spec: RuleSpec<S>;
  readonly site: CallSite | undefined;
  /** Problems in the spec itself (kept on the rule, not in a global: the config may run from its own bundle). */
  readonly problems: RuleProblem[];
}

const ruleSpecShape = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9/_.-]*$/, 'lowercase letters, digits, / _ . -'),
    version: z.number().int().nonnegative(),
    description: z.string().optional(),
    params: z.custom<z.ZodType>((v) => v instanceof z.ZodType, 'a zod schema'),
    toolchain: z.function().optional(),
    toolchainUses: z.function().optional(),
    toolchainPart: z.function().optional(),
    inputs: z.function().optional(),
    outputs: z.function(),
    semantic: z.union([z.enum(SEMANTIC_KINDS), z.function()]).optional(),
    nondeterministic: z.string().min(1).optional(),
    argv: z.function(),
    cwd: z.function().optional(),
    env: z.function().optional(),
    passEnv: z.function().optional(),
    resources: z.function().optional(),
    unavailable: z.function().optional(),
    timeoutMs: z.function().optional(),
    executor: z.function().optional(),
    slurm: z.function().optional(),
    resume: z.function().optional(),
    exclusive: z.function().optional(),
    cache: z.boolean().optional(),
    stage: z.boolean().optional(),
    materialize: z.enum(['link', 'copy']).optional(),
    exitCode: z.enum(['fail', 'check']).optional(),
    check: z.function().optional(),
    audit: z.function().optional(),
    providesPython: z.function().optional(),
    providesEnv: z.function().optional(),
    explainChange: z.function().optional(),
  })
  .strict()
  .refine((s) => s.exitCode !== 'check' || s.check !== undefined, {path: ['check'], message: "exitCode: 'check' needs a check function: it decides success"})
  .refine((s) => s.resume === undefined || s.stage !== false, {path: ['resume'], message: 'a resumable rule needs staging (stage: true): its interrupted state is kept from the staging area'})
  .refine((s) => s.nondeterministic === undefined || s.semantic !== undefined, {path: ['semantic'], message: 'a nondeterministic rule needs `semantic` kinds for its outputs: audit --rebuild compares them by meaning'});

/** A problem in a rule definition; reported with the config's diagnostics instead of throwing at import. */
export interface RuleProblem {
  path: PropertyKey[];
  message: string;
}

/** Defines a rule. Its spec is checked here; problems are reported (all at once) when the config is analysed. */
export function defineRule<S extends z.ZodType>(spec: RuleSpec<S>): Rule<S> {
  const site = lazyCallSite();
  const checked = ruleSpecShape.safeParse(spec);
  const problems = checked.success ? [] : checked.error.issues.map((i) => ({path: i.path, message: i.message}));
  const apply = (params: z.input<S>): ArtifactDecl => {
    const site = lazyCallSite();
    return {
      kind: 'artifact',
      rule: rule as unknown as Rule<z.ZodType>,
      params,
      get site() {
        return site();
      },
    };
  };
  const rule = Object.defineProperty(Object.assign(apply, {spec, problems}), 'site', {get: site, enumerable: true}) as Rule<S>;
  return rule;
}

export function isArtifactDecl(v: unknown): v is ArtifactDecl {
  return typeof v === 'object' && v !== null && (v as ArtifactDecl).kind === 'artifact';
}
