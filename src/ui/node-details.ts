/**
 * What the node panel of `bevbuild ui` shows for one node, gathered from the code the commands
 * use: the why tree and root causes (`explainWhy`, as `bevbuild why`), the last run (the build
 * history, else the action record) with its log tail, outputs/inputs/toolchain/lineage
 * (`collectLineage`, as `bevbuild lineage`) and the provenance statement of its record.
 */
import {existsSync, readFileSync} from 'node:fs';
import {join, relative} from 'node:path';
import {explainWhy} from '../commands/why-command.ts';
import type {PlanEvent} from '../commands/plan.ts';
import type {OpenWorkspace} from '../engine/open-workspace.ts';
import {reasonText} from '../engine/rebuild-reason.ts';
import {runLogFile, tail} from '../engine/run-node.ts';
import {collectLineage} from '../lineage/collect.ts';
import {renderLineageText, toolchainSummary} from '../lineage/render.ts';
import {readProvenance} from '../provenance/reader.ts';
import {eventJson} from '../reporting/events.ts';
import {historyDir, listRunIds, readRunSummary, type RunNodeSummary} from '../reporting/run-history.ts';

export interface LastRun {
  runId: string;
  at: string;
  status: string;
  durationMs: number;
  /** Exit status in words: `0`, or the failure message (`bash exited with code 3`). */
  exit: string;
  executor: string;
  argv: string[] | undefined;
  /** Workspace-relative log file, served by the page's /files/ route. */
  logFile: string | undefined;
  logTail: string[];
}

/** The last run of `id` that executed or failed: from the history, else from the action record. */
export async function lastRun(ws: OpenWorkspace, id: string): Promise<LastRun | undefined> {
  const node = ws.graph.nodes.get(id)!;
  const dir = historyDir(ws.paths.dir);
  for (const runId of listRunIds(dir).reverse()) {
    const s = readRunSummary(dir, runId);
    const n: RunNodeSummary | undefined = s?.nodes.find((x) => x.id === id && (x.status === 'executed' || x.status === 'failed'));
    if (!s || !n) continue;
    return describe(ws, {runId, at: s.finishedAt, status: n.status, durationMs: n.durationMs, exit: n.status === 'failed' ? (n.message ?? 'failed') : '0', executor: node.executor, logFile: n.logFile});
  }
  const st = ws.state.get(id);
  const rec = st && node.cache ? await ws.store.readRecord(st.key) : undefined;
  if (!rec?.ok || !rec.value) return undefined;
  const log = runLogFile(ws.paths.logs, id, rec.value.runId);
  return describe(ws, {runId: rec.value.runId, at: rec.value.createdAt, status: 'executed', durationMs: rec.value.durationMs, exit: '0', executor: node.executor, logFile: existsSync(log) ? relative(ws.graph.root, log) : undefined, argv: rec.value.meta?.['argv'] as string[] | undefined});
}

function describe(ws: OpenWorkspace, r: Omit<LastRun, 'argv' | 'logTail'> & {argv?: string[] | undefined}): LastRun {
  const abs = r.logFile ? join(ws.graph.root, r.logFile) : undefined;
  return {...r, argv: r.argv ?? (abs ? argvFromLog(abs) : undefined), logTail: abs ? tail(abs, 30) : []};
}

/** The command as the log header wrote it (`[bevbuild] argv: …`). */
function argvFromLog(file: string): string[] | undefined {
  try {
    const head = readFileSync(file, 'utf8').slice(0, 16384);
    const m = /^\[bevbuild\] argv: (.*)$/m.exec(head);
    return m ? [m[1]!] : undefined;
  } catch {
    return undefined;
  }
}

export interface NodeDetails {
  id: string;
  rule: string;
  executor: string;
  /** As `--json` writes it (`reasons` in words, `causes` as data). */
  plan: Record<string, unknown> | undefined;
  why: {entries: ReturnType<typeof explainWhy>['entries']; rootCauses: {id: string; reasons: string[]}[]};
  lastRun: LastRun | undefined;
  lineage: Awaited<ReturnType<typeof collectLineage>>['nodes'][number] | undefined;
  lineageText: string;
  /** One line for the toolchain (`python 3.11.7 · 31 distributions · openvino …`), as `lineage` prints it. */
  toolchainSummary: string | undefined;
  provenance: {digest: string; signed: boolean; buildType: string; subjects: {name: string; digest: string}[]} | undefined;
}

export async function nodeDetails(ws: OpenWorkspace, plan: ReadonlyMap<string, PlanEvent>, id: string): Promise<NodeDetails> {
  const node = ws.graph.nodes.get(id)!;
  const {entries, roots} = explainWhy(ws.graph, plan, [id]);
  const lineage = await collectLineage(ws, [id]);
  const st = ws.state.get(id);
  const rec = st && node.cache ? await ws.store.readRecord(st.key) : undefined;
  const prov = rec?.ok && rec.value ? await readProvenance(ws.store, rec.value) : undefined;
  const p = prov?.ok ? prov.value : undefined;
  return {
    id,
    rule: `${node.rule.name}@${node.rule.version}`,
    executor: node.executor,
    plan: plan.has(id) ? eventJson(plan.get(id)!) : undefined,
    why: {entries, rootCauses: [...roots].map(([rid, e]) => ({id: rid, reasons: e.reasons.map(reasonText)}))},
    lastRun: await lastRun(ws, id),
    lineage: lineage.nodes.find((n) => n.id === id),
    lineageText: renderLineageText(lineage),
    toolchainSummary: node.toolchain ? toolchainSummary(lineage.nodes.find((n) => n.id === id)?.toolchain?.facts) : undefined,
    provenance: p
      ? {digest: p.digest, signed: p.signed, buildType: p.statement.predicate.buildDefinition.buildType, subjects: p.statement.subject.map((s) => ({name: s.name ?? '', digest: s.digest?.['sha256'] ?? ''}))}
      : undefined,
  };
}
