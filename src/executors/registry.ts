/**
 * The executors bevbuild knows, in one place: each one's name (what a rule's `executor` returns),
 * whether it runs on this machine, the schema of its per-node options (the rule field of the same
 * name, e.g. `slurm`) and how it is made. Everything else asks this module rather than spelling
 * `'local' | 'slurm'`, so adding an executor is one entry here plus its module.
 */
import {z} from 'zod';
import type {Executor, SlurmResources} from './job.ts';

/** The per-node options of the `slurm` executor (`slurm: (p) => ({…})` in a rule, the config's `slurm`), checked at analysis. */
export const SLURM_OPTIONS = z
  .object({
    nodes: z.number().int().positive().optional(),
    gpusPerNode: z.number().int().nonnegative().optional(),
    cpusPerTask: z.number().int().positive().optional(),
    memMb: z.number().int().positive().optional(),
    timeMinutes: z.number().int().positive().optional(),
    partition: z.string().min(1).optional(),
    account: z.string().min(1).optional(),
    extraArgs: z.array(z.string()).optional(),
    signalSeconds: z.number().int().positive().optional(),
  })
  .strict() satisfies z.ZodType<SlurmResources>;

/** One executor bevbuild can hand a node's command to. */
export interface ExecutorEntry {
  /** What it does, in a few words (messages, docs). */
  description: string;
  /** Runs the tool on this machine, so this machine's pools (GPUs) must fit the node. */
  onThisMachine: boolean;
  /** Schema of its per-node options, given by the rule field named like the executor; none if absent. */
  options?: z.ZodType;
  /** Makes the executor; its module is imported only then (most builds never need SLURM). */
  create(): Promise<Executor>;
}

/** Every executor, by name. */
export const EXECUTORS = {
  local: {
    description: 'runs the tool on this machine, in its own process group',
    onThisMachine: true,
    create: async () => (await import('./local.ts')).runLocal,
  },
  slurm: {
    description: 'submits the tool as a SLURM batch job (sbatch) and follows it with scontrol',
    onThisMachine: false,
    options: SLURM_OPTIONS,
    // `BEVBUILD_SLURM_POLL_MS` tunes how often `scontrol show job` is polled (default 5 s).
    create: async () => {
      const {slurmExecutor} = await import('./slurm.ts');
      const poll = Number(process.env['BEVBUILD_SLURM_POLL_MS'] ?? '');
      return slurmExecutor(Number.isFinite(poll) && poll > 0 ? {pollIntervalMs: poll} : {});
    },
  },
} as const satisfies Record<string, ExecutorEntry>;

/** The name of a known executor. */
export type ExecutorName = keyof typeof EXECUTORS;

/** Known executor names, in registry order. */
export const EXECUTOR_NAMES = Object.keys(EXECUTORS) as [ExecutorName, ...ExecutorName[]];

/** Where a node runs when its rule names no executor. */
export const DEFAULT_EXECUTOR: ExecutorName = 'local';

/** A zod enum of the executor names, for rule params that let users pick one (`executor: executorParam.default(DEFAULT_EXECUTOR)`). */
export const executorParam = z.enum(EXECUTOR_NAMES);

/** The executors a run may use; a missing one refuses the nodes that need it (dry runs pass none). */
export type ExecutorSet = Partial<Record<ExecutorName, Executor>>;

/** Makes every known executor (what a real build or an audit rerun hands the engine). */
export async function createExecutors(): Promise<ExecutorSet> {
  const made = await Promise.all(EXECUTOR_NAMES.map(async (name) => [name, await EXECUTORS[name].create()] as const));
  return Object.fromEntries(made);
}

/** Names of the executors that run elsewhere (for "…or run it with executor X" advice). */
export function offMachineExecutors(): ExecutorName[] {
  return EXECUTOR_NAMES.filter((n) => !EXECUTORS[n].onThisMachine);
}

/** A problem with a node's executor choice or its options: where (field path) and what. */
export interface ExecutorProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Checks a rule's executor choice and the options it gives executors (`options.slurm` for the
 * `slurm` field). Options for an executor the node does not use are checked too: a rule that offers
 * both (`executor: p.executor`) must give valid options whichever is picked.
 */
export function executorProblems(executor: unknown, options: Partial<Record<ExecutorName, unknown>>): ExecutorProblem[] {
  const problems: ExecutorProblem[] = [];
  if (typeof executor !== 'string' || !(EXECUTOR_NAMES as string[]).includes(executor)) {
    problems.push({path: ['executor'], message: `unknown executor ${JSON.stringify(executor)}: expected one of ${EXECUTOR_NAMES.map((n) => `"${n}"`).join(', ')}`});
  }
  for (const name of EXECUTOR_NAMES) {
    const schema: z.ZodType | undefined = 'options' in EXECUTORS[name] ? (EXECUTORS[name] as ExecutorEntry).options : undefined;
    const given = options[name];
    if (!schema || given === undefined) continue;
    const parsed = schema.safeParse(given);
    if (parsed.success) continue;
    for (const issue of parsed.error.issues) {
      problems.push({path: [name, ...issue.path.map((k) => (typeof k === 'symbol' ? String(k) : k))], message: `${name} options: ${issue.message}`});
    }
  }
  return problems;
}
