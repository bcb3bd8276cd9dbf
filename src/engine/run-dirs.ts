/**
 * Run directories (`.bevbuild/runs/<runId>/`: a run's staging and tmp) are owned: each holds an
 * `owner.json` with the bevbuild pid and, once the tool started, its process group. A build
 * removes its run dirs when each run ends; a killed bevbuild cannot, so every build sweeps the
 * run dirs of dead owners first (under the workspace lock, so no live build is touched). A run
 * dir whose tool is still alive after its bevbuild died is an orphan: building the node again
 * would run a second copy beside it, so the build refuses and names the process. A dead owner's
 * run of a resumable node keeps its state for the next build of the same key (resume.ts).
 */
import {mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {execFileSync} from 'node:child_process';
import {endsJob, parseScontrolJob} from '../executors/slurm-status.ts';
import {keepPartial, parseResumeKeep, partialRoot, type ResumeKeep} from './resume.ts';
import {processAlive} from './workspace-lock.ts';

interface Owner {
  pid: number;
  nodeId: string;
  /** Process group of the running tool (local executor), once started. */
  toolPgid?: number;
  /** A resumable node's run: where its state is and where to keep it if the run never ends (a `ResumeKeep`; read back through parseResumeKeep). */
  resume?: unknown;
  /** The SLURM job running the tool (slurm executor), once submitted. */
  slurmJob?: string;
}

const ORPHAN_GRACE_MS = 2000;

/** A tool still running for a bevbuild that is gone. */
export interface OrphanRun {
  runDir: string;
  nodeId: string;
  pgid: number;
  /** Set when the tool runs as this SLURM job (pgid is 0 then). */
  slurmJob?: string;
}

/** Creates `runs/<runId>/` owned by this process. */
export function createRunDir(runsDir: string, runId: string, nodeId: string, resume?: ResumeKeep): string {
  const dir = join(runsDir, runId);
  mkdirSync(dir, {recursive: true});
  writeOwner(dir, {pid: process.pid, nodeId, ...(resume ? {resume} : {})});
  return dir;
}

/** Records the SLURM job now running the tool of `runDir` (it outlives a killed bevbuild). */
export function recordSlurmJob(runDir: string, nodeId: string, jobId: string, resume?: ResumeKeep): void {
  writeOwner(runDir, {pid: process.pid, nodeId, slurmJob: jobId, ...(resume ? {resume} : {})});
}

/** Records the process group of the tool now running in `runDir`. */
export function recordTool(runDir: string, nodeId: string, pgid: number, resume?: ResumeKeep): void {
  writeOwner(runDir, {pid: process.pid, nodeId, toolPgid: pgid, ...(resume ? {resume} : {})});
}

/**
 * Removes the run dirs of processes that are gone (and unowned leftovers of older versions);
 * returns the runs whose tool outlived its bevbuild, which are kept.
 */
export function sweepRunDirs(runsDir: string): OrphanRun[] {
  let names: string[];
  try {
    names = readdirSync(runsDir);
  } catch {
    return [];
  }
  const orphans: OrphanRun[] = [];
  for (const name of names) {
    const dir = join(runsDir, name);
    const owner = readOwner(dir);
    if (owner && (owner.pid === process.pid || processAlive(owner.pid))) continue;
    if (owner?.toolPgid && !diesSoon(owner.toolPgid)) {
      orphans.push({runDir: dir, nodeId: owner.nodeId, pgid: owner.toolPgid});
      continue;
    }
    // A SLURM job goes on without its bevbuild (and writes into this run dir): the same as a live tool.
    if (owner?.slurmJob && slurmJobActive(owner.slurmJob)) {
      orphans.push({runDir: dir, nodeId: owner.nodeId, pgid: 0, slurmJob: owner.slurmJob});
      continue;
    }
    // owner.json is state a crash left behind: only keep from this run dir into this workspace's partial/.
    const resume = parseResumeKeep(owner?.resume, dir, partialRoot(dirname(runsDir)));
    if (resume) {
      try {
        keepPartial(resume);
      } catch {
        // best effort: the run is lost, the next build starts over
      }
    }
    rmSync(dir, {recursive: true, force: true});
  }
  return orphans;
}

/** The message for an orphan: which process, and what to do. */
export function describeOrphan(o: OrphanRun): string {
  if (o.slurmJob) {
    return `${o.nodeId} is still running as SLURM job ${o.slurmJob} from an earlier bevbuild that was killed; ` +
      `building it again would start a second job. Wait for it or cancel it with \`scancel ${o.slurmJob}\`, then build again` +
      ' (a resumable node resumes from the checkpoints it wrote)';
  }
  return `${o.nodeId} is still running from an earlier bevbuild that was killed (process group ${o.pgid}); ` +
    `building it again would start a second copy. Wait for it or stop it with \`kill -- -${o.pgid}\`, then build again`;
}

function writeOwner(dir: string, owner: Owner): void {
  // Temp + rename: a sweep never reads a half-written owner file.
  const tmp = join(dir, `.owner.json.${process.pid}`);
  writeFileSync(tmp, JSON.stringify(owner));
  renameSync(tmp, join(dir, 'owner.json'));
}

function readOwner(dir: string): Owner | undefined {
  try {
    const o = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as Owner | null;
    // Untrusted bytes: a field of the wrong type reads as absent (resume is checked where it is used).
    if (typeof o !== 'object' || o === null || !Number.isInteger(o.pid) || o.pid <= 0) return undefined;
    return {pid: o.pid, nodeId: typeof o.nodeId === 'string' ? o.nodeId : '(unknown node)', resume: o.resume,
      ...(Number.isInteger(o.toolPgid) && o.toolPgid! > 0 ? {toolPgid: o.toolPgid} : {}),
      ...(typeof o.slurmJob === 'string' && /^\d+(_\d+)?$/.test(o.slurmJob) ? {slurmJob: o.slurmJob} : {})};
  } catch {
    return undefined;
  }
}

/**
 * Whether the tool group of a bevbuild that just died is gone, or goes within a moment: its
 * supervisor kills it as soon as it sees bevbuild's end, which can take a few milliseconds.
 */
function diesSoon(pgid: number): boolean {
  const tick = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; waited < ORPHAN_GRACE_MS; waited += 20) {
    if (!groupAlive(pgid)) return true;
    Atomics.wait(tick, 0, 0, 20); // a synchronous sleep: the sweep runs before anything else
  }
  return !groupAlive(pgid);
}

/** Whether SLURM still runs (or will run) the job; false when scontrol is missing or forgot it. */
function slurmJobActive(id: string): boolean {
  try {
    const s = parseScontrolJob(execFileSync('scontrol', ['show', 'job', '-o', id], {encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore']}));
    return s !== undefined && !endsJob(s.state, true);
  } catch {
    return false;
  }
}

function groupAlive(pgid: number): boolean {
  return pgid > 1 && processAlive(-pgid);
}
