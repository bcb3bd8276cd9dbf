/**
 * `bevbuild audit [targets]`: re-hashes (without trusting the stat memo) every workspace output
 * of the built nodes and every store object behind them, and compares them with the recorded
 * digests. Reports tampering and corruption; exit 1 if anything differs.
 *
 * What is audited is what this workspace built: without targets, every node with a good build
 * here; with targets, their closure. A node never materialized here (an intermediate a remote
 * build with `--remote-download minimal` never needed, or one never built) is not a problem —
 * there is nothing of it to check — only a requested target that was never built is.
 *
 * Repairs: a corrupt or missing store object whose workspace copy still has the recorded digest
 * (a copy or reflink, not a hardlink of the damaged object) is stored again from that copy; the
 * store's repair log (objects builds found corrupt and dropped or replaced) is reported and cleared.
 */
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import type {OutputEntry} from '../../cache/local-store.ts';
import {StatMemo, type PathDigest} from '../../cache/stat-memo.ts';
import {takeRepairs} from '../../cache/store-repairs.ts';
import type {Options} from '../cli-options.ts';
import type {OpenWorkspace} from '../engine/open-workspace.ts';
import {closure} from '../graph/graph.ts';
import {EXIT, makeReporter, openAndSelect} from './common.ts';

interface Line {
  id: string;
  kind: string;
  path: string;
  detail: string;
}

export async function auditCommand(opts: Options): Promise<number> {
  const opened = await openAndSelect(opts, makeReporter(opts, 0), true);
  if (typeof opened === 'number') return opened;
  const {ws, targets} = opened;
  const requested = new Set(opts.targets.length ? targets : []);
  const ids = opts.targets.length ? closure(ws.graph, targets) : ws.graph.order.filter((id) => ws.state.get(id));
  const scratch = mkdtempSync(join(tmpdir(), 'bevbuild-audit-'));
  const coldMemo = await StatMemo.open(scratch); // empty memo: every file is really read
  const problems: Line[] = [];
  const repaired: Line[] = [];
  let checked = 0;
  let notHere = 0;
  try {
    for (const id of ids) {
      const st = ws.state.get(id);
      if (!st) {
        if (requested.has(id)) problems.push({id, kind: 'never-built', path: '', detail: 'a requested target with no good build in this workspace'});
        else notHere++;
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
      const node = ws.graph.nodes.get(id)!;
      const intact = st.outputs.every((o, i) => {
        const d = now.get(abs[i]!);
        return d !== undefined && d.kind !== 'missing' && d.digest === o.digest;
      });
      // Intact bytes may still not work here (a binary against this workspace's toolchain): the rule checks.
      if (intact && node.rule.audit) {
        const tc = node.toolchain ? ws.graph.nodes.get(node.toolchain) : undefined;
        const usable = await node.rule.audit(node.params, {root: ws.graph.root, env: tc?.rule.providesEnv?.(tc.params, ws.graph.root) ?? {}});
        if (!usable.ok) problems.push({id, kind: 'output-unusable', path: '', detail: usable.error.message});
      }
      if (!ws.graph.nodes.get(id)!.cache) continue;
      const rec = await ws.store.readRecord(st.key);
      if (!rec.ok) problems.push({id, kind: 'record-corrupt', path: '', detail: rec.error.message});
      else if (!rec.value) problems.push({id, kind: 'record-missing', path: '', detail: `no action record for key ${st.key.slice(0, 12)} in the store`});
      else {
        for (const o of rec.value.outputs) {
          // Every object behind the output: a directory's manifest and each of its files.
          const bad = await ws.store.unusableObjects([o], coldMemo, 'audit');
          if (bad.length === 0) continue;
          const which = `${bad.length} store object(s) (${bad.slice(0, 3).map((b) => `${b.digest.slice(0, 12)} ${b.problem}`).join(', ')}${bad.length > 3 ? ', …' : ''})`;
          const workspaceCopy = now.get(resolve(ws.graph.root, o.path));
          if (await restoreObject(ws, o, workspaceCopy)) {
            repaired.push({id, kind: 'object-restored', path: o.path, detail: `${which} stored again from the intact workspace copy`});
          } else {
            problems.push({id, kind: 'store-object-corrupt', path: o.path, detail: `${which}: missing or bytes do not match (dropped; the next build rebuilds it)`});
          }
        }
      }
    }
  } finally {
    rmSync(scratch, {recursive: true, force: true});
  }
  for (const r of await takeRepairs(ws.store.root)) {
    repaired.push({id: '', kind: `object-${r.action}`, path: '', detail: `${r.at}: store object ${r.digest.slice(0, 12)} was corrupt, found by ${r.by === 'store' ? 'a build re-storing it' : `a ${r.by}`}; ${r.action === 'replaced' ? 'replaced by a fresh, verified copy' : 'dropped (its node rebuilt or will rebuild)'}`});
  }
  if (opts.json) {
    for (const r of repaired) process.stdout.write(`${JSON.stringify({type: 'audit-repair', ...r})}\n`);
    for (const p of problems) process.stdout.write(`${JSON.stringify({type: 'audit-problem', ...p})}\n`);
    process.stdout.write(`${JSON.stringify({type: 'audit', checked, problems: problems.length, repaired: repaired.length, notMaterialized: notHere})}\n`);
  } else {
    const line = (mark: string, p: Line) => `${mark} ${p.kind.padEnd(20)} ${p.id}${p.path ? ` ${p.path}` : ''}${p.id || p.path ? ': ' : ''}${p.detail}\n`;
    for (const r of repaired) process.stdout.write(line('↻', r));
    for (const p of problems) process.stdout.write(line('✘', p));
    const skipped = notHere ? `; ${notHere} node(s) not materialized in this workspace (nothing to check)` : '';
    const fixed = repaired.length ? `; ${repaired.length} repair(s)` : '';
    process.stdout.write(
      problems.length
        ? `\n${problems.length} problem(s) in ${checked} output(s)${fixed}${skipped}; \`bevbuild ${targets.length === 1 ? targets[0] : '<targets>'}\` repairs them.\n`
        : `✔ ${checked} output(s) match their records; store objects verified${fixed}${skipped}\n`,
    );
  }
  return problems.length ? EXIT.failed : EXIT.ok;
}

/** Stores a recorded output again from its workspace copy, if that copy has the recorded digest. */
async function restoreObject(ws: OpenWorkspace, o: OutputEntry, copy: PathDigest | undefined): Promise<boolean> {
  if (!copy || copy.kind === 'missing' || copy.digest !== o.digest) return false;
  const abs = resolve(ws.graph.root, o.path);
  try {
    if (copy.kind === 'file') await ws.store.putFile(abs, {digest: o.digest});
    else await ws.store.putTree(abs);
  } catch {
    return false;
  }
  return (await ws.store.unusableObjects([o])).length === 0;
}
