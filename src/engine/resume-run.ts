/**
 * The run-node side of resumable nodes (resume.ts): before the tool starts, a kept partial run of
 * the node's action key goes back into staging and the tool gets its resume arguments; when the
 * run ends without success, the staging state is kept again for the next build of that key.
 */
import {appendFileSync, readdirSync, rmSync} from 'node:fs';
import {join, relative} from 'node:path';
import type {JobResume} from '../executors/slurm-resume.ts';
import type {GraphNode} from '../graph/graph.ts';
import type {Failure, Result} from '../result.ts';
import type {EngineContext} from './engine-context.ts';
import {inspectPartial, keepPartial, partialRoot, restorePartial, type Checkpoint, type KeptPartial, type ResumeKeep, type ResumeSpec} from './resume.ts';

/** A resumable node's run. */
export interface ResumePlan {
  spec: ResumeSpec;
  keep: ResumeKeep;
  /** The run's staging dir (the state dir lies inside it). */
  stageDir: string;
}

/** The resume plan of a run of `node` under `key` (staging in `stageDir`), or undefined when the rule declares none. */
export function planResume(ctx: EngineContext, node: GraphNode, key: string, stageDir: string): ResumePlan | undefined {
  const spec = node.stage ? node.rule.resume?.(node.params) : undefined;
  if (!spec) return undefined;
  if (!node.outputs.some((o) => o.startsWith(`${spec.dir}/`))) {
    throw new Error(`rule ${node.rule.name}: resume.dir "${spec.dir}" holds no declared output of ${node.id}`);
  }
  return {spec, keep: {key, nodeId: node.id, stateDir: join(stageDir, spec.dir), keepAt: join(partialRoot(ctx.paths.dir), key), checkpoint: spec.checkpoint}, stageDir};
}

/**
 * Dry run (plan, `status`, `why`): the kept partial run a run of `node` under `key` would resume
 * from, or undefined — also when the kept run would be discarded (`restorePartial` starts over then).
 */
export function plannedResume(ctx: EngineContext, node: GraphNode, key: string): KeptPartial | undefined {
  const spec = node.stage ? node.rule.resume?.(node.params) : undefined;
  if (!spec) return undefined;
  const kept = inspectPartial({key, keepAt: join(partialRoot(ctx.paths.dir), key), checkpoint: spec.checkpoint});
  return kept && !('discarded' in kept) ? kept : undefined;
}

/**
 * Restores the kept partial run of the plan's key, if any, and returns the tool's resume
 * arguments (empty when starting fresh). Says so in the log and to the reporter.
 */
export function resumeArgs(ctx: EngineContext, plan: ResumePlan | undefined, logFile: string): {args: string[]; from?: Checkpoint} {
  if (!plan) return {args: []};
  const from = restorePartial(plan.keep);
  if (from && 'discarded' in from) {
    const message = `${plan.keep.nodeId}: the kept partial run of this action key was discarded (${from.discarded}); the run starts from the beginning`;
    appendFileSync(logFile, `[bevbuild] ${message}\n`);
    ctx.reporter.log({type: 'warning', message});
    return {args: []};
  }
  if (!from) return {args: []};
  const message = `${plan.keep.nodeId}: resuming an interrupted run of the same action key from ${from.name}`;
  appendFileSync(logFile, `[bevbuild] ${message} (${from.path})\n`);
  ctx.reporter.log({type: 'info', message});
  return {args: plan.spec.args(from), from};
}

/** The `ExecJob.resume` of a resumable run (a SLURM restart resumes inside the job): spread into the job. */
export function jobResume(plan: ResumePlan | undefined, baseArgv: string[]): {resume?: JobResume} {
  if (!plan) return {};
  return {resume: {stateDir: plan.keep.stateDir, checkpoint: plan.spec.checkpoint, baseArgv, args: plan.spec.args, ...(plan.spec.signalSeconds ? {signalSeconds: plan.spec.signalSeconds} : {})}};
}

/**
 * After a run that did not succeed: keeps its staging state (if it holds a complete checkpoint)
 * and says where in the failure.
 */
export function keepInterrupted(ctx: EngineContext, plan: ResumePlan | undefined, result: Result<unknown, Failure> | undefined, logFile: string): void {
  if (!plan || result?.ok) return;
  let kept: string | undefined;
  try {
    kept = keepPartial(plan.keep);
  } catch {
    return; // best effort: the next build starts over
  }
  if (!kept) return;
  // The state was all the run wrote: then no "partial outputs kept in …" pointing at empty directories.
  if (!holdsFile(plan.stageDir)) rmSync(plan.stageDir, {recursive: true, force: true});
  const where = relative(ctx.graph.root, plan.keep.keepAt) || plan.keep.keepAt;
  const line = `partial run kept in ${where}: the next build of the same action key resumes from ${kept}`;
  try {
    appendFileSync(logFile, `\n[bevbuild] ${line}\n`);
  } catch {
    // the log may be what failed
  }
  if (result && !result.ok) {
    // The log tail names checkpoints in staging: point them at the kept copy.
    const moved = (t: string) => t.replaceAll(`${plan.keep.stateDir}/`, `${join(plan.keep.keepAt, 'state')}/`);
    result.error.message = moved(result.error.message);
    result.error.details = [...(result.error.details ?? []).map(moved), line];
  }
}

/** Whether a directory tree holds anything but directories (unreadable counts as holding: keep it). */
function holdsFile(dir: string): boolean {
  try {
    return readdirSync(dir, {withFileTypes: true}).some((e) => !e.isDirectory() || holdsFile(`${dir}/${e.name}`));
  } catch {
    return true;
  }
}
