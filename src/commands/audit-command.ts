/**
 * `bevbuild audit <targets>`: re-hashes (without trusting the stat memo) every workspace output
 * of the selected nodes and every store object behind them, and compares them with the recorded
 * digests. Reports tampering and corruption; exit 1 if anything differs.
 */
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {StatMemo} from '../../cache/stat-memo.ts';
import type {Options} from '../cli-options.ts';
import {closure} from '../graph/graph.ts';
import {EXIT, makeReporter, openAndSelect} from './common.ts';

export async function auditCommand(opts: Options): Promise<number> {
  const opened = await openAndSelect(opts, makeReporter(opts, 0), true);
  if (typeof opened === 'number') return opened;
  const {ws, targets} = opened;
  const scratch = mkdtempSync(join(tmpdir(), 'bevbuild-audit-'));
  const coldMemo = await StatMemo.open(scratch); // empty memo: every file is really read
  const problems: {id: string; kind: string; path: string; detail: string}[] = [];
  let checked = 0;
  try {
    for (const id of closure(ws.graph, targets)) {
      const st = ws.state.get(id);
      if (!st) {
        problems.push({id, kind: 'never-built', path: '', detail: 'no good build recorded in this workspace'});
        continue;
      }
      const abs = st.outputs.map((o) => resolve(ws.graph.root, o.path));
      const now = await coldMemo.digestPaths(abs);
      st.outputs.forEach((o, i) => {
        checked++;
        const d = now.get(abs[i]!);
        if (!d || d.kind === 'missing') problems.push({id, kind: 'output-missing', path: o.path, detail: 'recorded output is not in the workspace'});
        else if (d.digest !== o.digest) problems.push({id, kind: 'output-tampered', path: o.path, detail: `workspace digest ${d.digest.slice(0, 12)} ≠ recorded ${o.digest.slice(0, 12)}`});
      });
      if (!ws.graph.nodes.get(id)!.cache) continue;
      const rec = await ws.store.readRecord(st.key);
      if (!rec.ok) problems.push({id, kind: 'record-corrupt', path: '', detail: rec.error.message});
      else if (!rec.value) problems.push({id, kind: 'record-missing', path: '', detail: `no action record for key ${st.key.slice(0, 12)} in the store`});
      else {
        for (const o of rec.value.outputs) {
          if (!(await ws.store.verifyObject(o.digest, coldMemo))) problems.push({id, kind: 'store-object-corrupt', path: o.path, detail: `object ${o.digest.slice(0, 12)} is missing or its bytes do not match (dropped; the next build rebuilds it)`});
        }
      }
    }
  } finally {
    rmSync(scratch, {recursive: true, force: true});
  }
  if (opts.json) {
    for (const p of problems) process.stdout.write(`${JSON.stringify({type: 'audit-problem', ...p})}\n`);
    process.stdout.write(`${JSON.stringify({type: 'audit', checked, problems: problems.length})}\n`);
  } else {
    for (const p of problems) process.stdout.write(`✘ ${p.kind.padEnd(20)} ${p.id}${p.path ? ` ${p.path}` : ''}: ${p.detail}\n`);
    process.stdout.write(problems.length ? `\n${problems.length} problem(s) in ${checked} output(s); \`bevbuild ${targets.length === 1 ? targets[0] : '<targets>'}\` repairs them.\n` : `✔ ${checked} output(s) match their records; store objects verified\n`);
  }
  return problems.length ? EXIT.failed : EXIT.ok;
}
