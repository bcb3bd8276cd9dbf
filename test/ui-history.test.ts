/**
 * Issue 13: the build history behind `bevbuild ui` — every build's events (NDJSON) and summary with
 * the critical path under `.bevbuild/history/`, bounded in count, readable after a crash.
 */
import {appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {suite} from 'uvu';
import * as assert from 'uvu/assert';
import type {Graph} from '../src/graph/graph.ts';
import type {Reporter} from '../src/reporting/events.ts';
import {HISTORY_LIMIT, historyDir, listRunIds, parseEventLines, readRunSummary, recordRun} from '../src/reporting/run-history.ts';

const test = suite('ui-history');

/** a → b → d, a → c → d (only deps matter here). */
function graph(root: string): Graph {
  const deps: Record<string, string[]> = {a: [], b: ['a'], c: ['a'], d: ['b', 'c']};
  return {root, order: Object.keys(deps), nodes: new Map(Object.entries(deps).map(([id, d]) => [id, {id, deps: d}])), outputOwner: new Map(), dependents: new Map(), configFile: ''} as unknown as Graph;
}

const sink: Reporter = {log: () => {}, close: () => {}};

function run(dir: string, durations: Record<string, number>, failed?: string): void {
  const r = recordRun(sink, {bevbuildDir: dir, graph: graph(dir), targets: ['d'], argv: ['d']});
  for (const [id, ms] of Object.entries(durations)) {
    r.log({type: 'start', id, action: 'run', reasons: [{kind: 'no-record'}], logFile: join(dir, 'logs', `${id}.log`)});
    if (id === failed) r.log({type: 'failed', id, reason: 'exit-non-zero', message: 'bash exited with code 1'});
    else r.log({type: 'done', id, status: 'executed', durationMs: ms});
    r.log({type: 'output', id, line: 'not kept'});
  }
  r.log({type: 'summary', executed: Object.keys(durations).length - (failed ? 1 : 0), restored: 0, fresh: 0, failed: failed ? 1 : 0, durationMs: 100});
  r.close();
}

test('a build leaves its events and a summary with the critical path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-history-'));
  try {
    run(dir, {a: 10, b: 5, c: 30, d: 1});
    const [id] = listRunIds(historyDir(dir));
    const s = readRunSummary(historyDir(dir), id!)!;
    assert.equal(s.criticalPath, {ids: ['a', 'c', 'd'], durationMs: 41});
    assert.equal({executed: s.executed, failed: s.failed, argv: s.argv, targets: s.targets}, {executed: 4, failed: 0, argv: ['d'], targets: ['d']});
    assert.is(s.nodes.find((n) => n.id === 'b')!.logFile, 'logs/b.log', 'log paths are workspace-relative');
    const events = parseEventLines(readFileSync(join(historyDir(dir), `${id}.events.ndjson`), 'utf8'));
    assert.is(events[0]!['type'], 'run-start');
    assert.is(events[0]!['pid'], process.pid);
    assert.not.ok(events.some((e) => e['type'] === 'output'), '--stream lines stay out of the history');
    assert.is(events.at(-1)!['type'], 'summary');
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test('the history keeps the newest runs only, and a torn last line is skipped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bevbuild-history-'));
  try {
    for (let i = 0; i < HISTORY_LIMIT + 3; i++) run(dir, {a: 1}, i === HISTORY_LIMIT + 2 ? 'a' : undefined);
    const ids = listRunIds(historyDir(dir));
    assert.is(ids.length, HISTORY_LIMIT);
    assert.is(readdirSync(historyDir(dir)).length, 2 * HISTORY_LIMIT);
    const last = readRunSummary(historyDir(dir), ids.at(-1)!)!;
    assert.is(last.failed, 1, 'the newest run is kept');
    assert.is(last.nodes[0]!.message, 'bash exited with code 1');
    // A build killed mid-write: the partial line is ignored, the rest reads.
    const file = join(historyDir(dir), `${ids.at(-1)}.events.ndjson`);
    appendFileSync(file, '{"type":"start","id":"b","act');
    const events = parseEventLines(readFileSync(file, 'utf8'));
    assert.is(events.at(-1)!['type'], 'summary');
    assert.is(readRunSummary(historyDir(dir), '../../etc/passwd'), undefined, 'run ids are names, not paths');
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test.run();
