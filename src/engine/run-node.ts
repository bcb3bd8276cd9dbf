/**
 * Runs one node's tool and turns what it produced into recorded outputs (DESIGN.md decision 5):
 * the tool writes into a fresh staging area; it succeeds only if it exited 0, every declared
 * output exists and the rule's checks pass; then outputs move into the content store and are
 * materialized in the workspace, and only then is the action recorded. A failure or Ctrl-C at any
 * point leaves no record, so the next build runs the node again.
 */
import {appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, type Stats} from 'node:fs';
import {readFile} from 'node:fs/promises';
import {hostname} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import type {ActionRecord, OutputEntry} from '../../cache/local-store.ts';
import type {CheckContext, RunContext} from '../config/define-rule.ts';
import {shellQuote} from '../shell-quote.ts';
import {followLog} from '../reporting/log-follower.ts';
import type {ExecJob} from '../executors/job.ts';
import type {ExecutorSet} from '../executors/registry.ts';
import type {GraphNode} from '../graph/graph.ts';
import {ok, type Failure, type Result} from '../result.ts';
import {provenanceEnabled, recordProvenance} from '../provenance/collect.ts';
import type {KeyRecord} from './action-key.ts';
import {childEnv} from './child-env.ts';
import {placeOutputs} from './restore.ts';
import {ioFailure} from './io-failure.ts';
import {nodeFailure} from './node-failure.ts';
import {createRunDir, recordSlurmJob, recordTool} from './run-dirs.ts';
import {jobResume, keepInterrupted, planResume, resumeArgs} from './resume-run.ts';
import type {EngineContext} from './engine-context.ts';
import type {OutputsOf} from './input-digests.ts';
import {withSemanticDigests} from './semantic-outputs.ts';
import {idFileName} from '../graph/node-id.ts';

export interface RunRequest {
  node: GraphNode;
  key: string;
  keyRecord: KeyRecord;
  runId: string;
  gpus: string[];
  signal: AbortSignal;
  outputsOf: OutputsOf;
  passthroughEnv: string[];
  /** The executors this run may use (dry runs: none). */
  executors: ExecutorSet;
  /** `--stream`: called with each line the tool writes to its log while it runs. */
  onOutput?: ((line: string) => void) | undefined;
}

export interface RunResult {
  outputs: OutputEntry[];
  logFile: string;
  durationMs: number;
  /** The action record written to the local store (undefined for uncached nodes). */
  record: ActionRecord | undefined;
}

/** Where a run's combined stdout+stderr goes (also named in failure events). */
export function runLogFile(logsDir: string, nodeId: string, runId: string): string {
  return join(logsDir, `${idFileName(nodeId)}.${runId}.log`);
}

export async function runNode(ctx: EngineContext, req: RunRequest): Promise<Result<RunResult, Failure>> {
  const {node, runId} = req;
  const root = ctx.graph.root;
  const runDir = join(ctx.paths.runs, runId);
  const stageDir = join(runDir, 'out');
  const tmpDir = join(runDir, 'tmp');
  const logFile = runLogFile(ctx.paths.logs, node.id, runId);
  let result: Result<RunResult, Failure> | undefined;
  let ranArgv: string[] | undefined; // for the failure message: the command as it was run
  let logged = false; // the log holds the command (and what the tool printed): failures point at it
  const resume = planResume(ctx, node, req.key, stageDir); // resumable nodes: state kept across interruptions
  try {
    createRunDir(ctx.paths.runs, runId, node.id, resume?.keep); // owned: a killed build's run dir is swept later
    mkdirSync(tmpDir, {recursive: true});
    mkdirSync(dirname(logFile), {recursive: true});
    result = await execute();
    return result;
  } catch (e) {
    // A full disk or a read-only workspace is the user's to fix, not a bug: say so plainly.
    const io = ioFailure(e, `${node.id} could not be run or stored`, node.id);
    if (!io) throw e;
    return (result = io);
  } finally {
    // What a failed tool left in staging (partial outputs, a validation report) is kept for
    // inspection beside the log; it is never recorded or materialized.
    const keep = `${logFile.replace(/\.log$/, '')}.outputs`;
    if (result && !result.ok && ranArgv) result.error.argv ??= ranArgv;
    if (result && !result.ok && logged) result.error.logFile ??= logFile;
    keepInterrupted(ctx, resume, result, logFile);
    if (result && !result.ok && node.stage && existsSync(stageDir)) {
      try {
        renameSync(stageDir, keep);
        // The tool named staging paths (e.g. `report: …/out/…/report.html`): point them at the kept copy.
        const kept = (s: string) => s.replaceAll(`${stageDir}/`, `${keep}/`);
        result.error.message = kept(result.error.message);
        result.error.details = [...(result.error.details ?? []).map(kept), `partial outputs kept in ${keep}`];
        if (result.error.argv) result.error.argv = result.error.argv.map(kept);
        appendFileSync(logFile, `\n[bevbuild] the staging dir ${stageDir} named above was kept as ${keep}\n`);
      } catch {
        // best effort
      }
    }
    rmSync(runDir, {recursive: true, force: true});
  }

  async function execute(): Promise<Result<RunResult, Failure>> {
    const outPath = (p: string) => (node.stage ? join(stageDir, p) : resolve(root, p));
    for (const o of node.outputs) {
      if (!node.stage) rmSync(resolve(root, o), {recursive: true, force: true}); // tools writing in place start clean
      mkdirSync(dirname(outPath(o)), {recursive: true});
    }
    const python = toolchainPython(ctx, node);
    const runCtx: RunContext = {
      root,
      in: (p) => resolve(root, p),
      out: (p) => {
        if (!node.outputs.includes(p)) throw new Error(`rule ${node.rule.name}: ctx.out("${p}") is not a declared output of ${node.id}`);
        return outPath(p);
      },
      outDir: (d) => {
        if (!node.outputs.some((o) => o.startsWith(`${d}/`))) throw new Error(`rule ${node.rule.name}: ctx.outDir("${d}") holds no declared output of ${node.id}`);
        return outPath(d);
      },
      tmp: tmpDir,
      python: () => {
        if (!python) throw new Error(`rule ${node.rule.name} calls ctx.python() but ${node.id} has no toolchain`);
        return python;
      },
      gpus: req.gpus,
    };
    const toolArgv = node.rule.argv(node.params, runCtx);
    const argv = [...toolArgv, ...resumeArgs(ctx, resume, logFile).args];
    ranArgv = argv;
    const env = childEnv({
      declared: node.rule.env ? node.rule.env(node.params, runCtx) : {},
      toolchain: toolchainEnv(ctx, node),
      passthrough: [...req.passthroughEnv, ...(node.rule.passEnv ? node.rule.passEnv(node.params) : [])],
      gpus: req.gpus,
      tmp: tmpDir,
    });
    const job: ExecJob = {
      nodeId: node.id,
      runId,
      argv,
      cwd: resolve(root, node.cwd),
      env,
      logFile,
      onStart: (pid) => recordTool(runDir, node.id, pid, resume?.keep),
      onSubmit: (jobId) => recordSlurmJob(runDir, node.id, jobId, resume?.keep),
      ...(node.timeoutMs ? {timeoutMs: node.timeoutMs} : {}),
      ...(node.slurm ? {slurm: node.slurm} : {}),
      ...jobResume(resume, toolArgv),
    };
    const executor = req.executors[node.executor];
    if (!executor) return nodeFailure(node.id, {kind: 'no-executor', executor: node.executor, known: Object.keys(req.executors)});
    const startedOn = new Date();
    // The command heads its log, so a log read alone says what ran (executors append to it).
    appendFileSync(logFile, `${LOG_HEADER}${node.id} (run ${runId})\n${LOG_HEADER}cwd: ${job.cwd}\n${LOG_HEADER}argv: ${argv.map(shellQuote).join(' ')}\n\n`);
    logged = true;
    const follow = req.onOutput ? followLog(logFile, req.onOutput) : undefined;
    const ran = await executor(job, req.signal).finally(() => follow?.stop());
    if (!ran.ok) return {ok: false, error: {...ran.error, details: tail(logFile)}};
    const checkByRule = node.rule.exitCode === 'check'; // the rule's check, not the exit code, decides
    if (ran.value.exitCode !== 0 && !checkByRule) {
      return nodeFailure(node.id, {kind: 'exit-non-zero', program: String(argv[0]), exitCode: ran.value.exitCode, ...(ran.value.signal ? {signal: ran.value.signal} : {})}, {details: tail(logFile)});
    }
    const runCheck = async (): Promise<Result<void>> => {
      if (!node.rule.check) return ok(undefined);
      const checkCtx: CheckContext = {...runCtx, log: async () => withoutHeader(await readFile(logFile, 'utf8')), exitCode: ran.value.exitCode, ...(ran.value.signal ? {signal: ran.value.signal} : {})};
      const checked = await node.rule.check(node.params, checkCtx);
      return checked.ok ? checked : {ok: false, error: {...checked.error, nodeId: node.id, details: checked.error.details ?? tail(logFile)}};
    };
    if (checkByRule) {
      const checked = await runCheck();
      if (!checked.ok) return checked;
    }
    const invalid = node.outputs.map((o) => unstorable(o, outPath(o))).filter((m) => m !== undefined);
    if (invalid.length) return nodeFailure(node.id, {kind: 'output-invalid', problems: invalid});
    const missing = node.outputs.filter((o) => !existsSync(outPath(o)));
    if (missing.length) return nodeFailure(node.id, {kind: 'output-missing', paths: missing, exitCode: ran.value.exitCode});
    if (!checkByRule) {
      const checked = await runCheck();
      if (!checked.ok) return checked;
    }
    if (req.signal.aborted) return nodeFailure(node.id, {kind: 'cancelled', before: 'recording'});
    const outputs = await collectOutputs(ctx, node, outPath);
    if (!outputs.ok) return outputs;
    const record: ActionRecord | undefined = node.cache ? {
      format: 1,
      key: req.key,
      nodeId: node.id,
      rule: {name: node.rule.name, version: node.rule.version},
      outputs: outputs.value,
      createdAt: new Date().toISOString(),
      durationMs: ran.value.durationMs,
      host: hostname(),
      runId,
      // What went into the key, for `why` and audits; inputs that were absent are not digests.
      inputs: Object.fromEntries(Object.entries(req.keyRecord.inputs).filter(([, d]) => d !== 'missing')),
      meta: {argv: req.keyRecord.argv, ...(ran.value.externalId ? {externalId: ran.value.externalId} : {})},
    } : undefined;
    if (record && provenanceEnabled()) {
      const finishedOn = new Date(startedOn.getTime() + ran.value.durationMs);
      record.provenance = await recordProvenance(ctx, {node, key: req.key, keyRecord: req.keyRecord, outputs: outputs.value, runId, startedOn, finishedOn, externalId: ran.value.externalId, scratch: runDir});
    }
    if (record) await ctx.store.writeRecord(record);
    return ok({outputs: outputs.value, logFile, durationMs: ran.value.durationMs, record});
  }
}

/** Moves staged outputs into the store and materializes them in the workspace (or digests in-place outputs). */
async function collectOutputs(ctx: EngineContext, node: GraphNode, outPath: (p: string) => string): Promise<Result<OutputEntry[], Failure>> {
  const root = ctx.graph.root;
  const entries: OutputEntry[] = [];
  if (!node.cache) {
    const abs = node.outputs.map((o) => resolve(root, o));
    const d = await ctx.memo.digestPaths(abs);
    for (const [i, o] of node.outputs.entries()) {
      const pd = d.get(abs[i]!);
      if (!pd || pd.kind === 'missing') return nodeFailure(node.id, {kind: 'output-missing', paths: [o]});
      entries.push({path: o, kind: pd.kind, digest: pd.digest, size: pd.size});
    }
    return ok(entries);
  }
  for (const o of node.outputs) {
    const staged = outPath(o);
    const isDir = statSync(staged).isDirectory();
    if (isDir) {
      const t = await ctx.store.putTree(staged, {move: true});
      entries.push({path: o, kind: 'dir', digest: t.digest, size: t.size});
    } else {
      const executable = (statSync(staged).mode & 0o111) !== 0;
      const f = await ctx.store.putFile(staged, {move: true});
      entries.push({path: o, kind: 'file', digest: f.digest, size: f.size, executable});
    }
  }
  const placed = await placeOutputs(ctx, node, entries);
  return placed.ok ? ok(withSemanticDigests(root, node, entries, (message) => ctx.reporter.log({type: 'warning', message}))) : placed;
}

/** Why a produced output cannot be stored (a symlink loop, a FIFO, a socket, a device), if it cannot. */
function unstorable(rel: string, abs: string): string | undefined {
  let st: Stats;
  try {
    st = statSync(abs);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ELOOP' ? `output ${rel} is a symbolic link loop` : undefined; // missing: reported next
  }
  if (st.isFile() || st.isDirectory()) return undefined;
  const kind = st.isFIFO() ? 'a FIFO (named pipe)' : st.isSocket() ? 'a socket' : 'a device file';
  return `output ${rel} is ${kind}`;
}

function toolchainPython(ctx: EngineContext, node: GraphNode): string | undefined {
  if (!node.toolchain) return undefined;
  const tc = ctx.graph.nodes.get(node.toolchain)!;
  return tc.rule.providesPython?.(tc.params, ctx.graph.root);
}

function toolchainEnv(ctx: EngineContext, node: GraphNode): Record<string, string> {
  if (!node.toolchain) return {};
  const tc = ctx.graph.nodes.get(node.toolchain)!;
  return tc.rule.providesEnv?.(tc.params, ctx.graph.root) ?? {};
}

const TAIL_BYTES = 64 * 1024;

/** Lines bevbuild itself writes into a node's log start with this. */
const LOG_HEADER = '[bevbuild] ';

/** A log as the tool wrote it, for rule checks: without the command header bevbuild put on top. */
function withoutHeader(log: string): string {
  const end = log.startsWith(LOG_HEADER) ? log.indexOf('\n\n') : -1;
  return end < 0 ? log : log.slice(end + 2);
}

/** The last lines of a log, for failure messages (what the tool printed: not bevbuild's header). */
export function tail(file: string, lines = 20): string[] {
  // Only the end is read: a tool may have logged gigabytes.
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(size, TAIL_BYTES));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      const text = buf.toString('utf8').trimEnd().split('\n').filter((l) => !l.startsWith(LOG_HEADER)).slice(-lines);
      return text.map((l) => (l.length > 2000 ? `${l.slice(0, 2000)}…` : l));
    } finally {
      closeSync(fd);
    }
  } catch {
    return [];
  }
}
