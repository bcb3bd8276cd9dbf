/**
 * Lineage as text (a tree per target: its files and where each came from, then every node it was
 * made from with its configs, data, code commits and toolchain) and as a Mermaid flowchart.
 */
import type {Lineage, LineageNode, LineageSource} from './collect.ts';

const short = (d: string) => (d && d !== 'missing' ? d.slice(0, 12) : d || '—');

/** `python 3.11.7 · 31 distributions · openvino 2026.4.1` from a toolchain fingerprint or marker. */
export function toolchainSummary(facts: Record<string, unknown> | undefined): string {
  if (!facts) return 'not built here';
  const parts: string[] = [];
  if (typeof facts['interpreter'] === 'string') parts.push(facts['interpreter']);
  else if (typeof facts['python'] === 'string') parts.push(`python ${facts['python']}`);
  const pkgs = facts['packages'] && typeof facts['packages'] === 'object' ? (facts['packages'] as Record<string, string>) : undefined;
  const n = typeof facts['distributions'] === 'number' ? facts['distributions'] : pkgs ? Object.keys(pkgs).length : undefined;
  if (n !== undefined) parts.push(`${n} distributions`);
  for (const k of ['openvino', 'nncf', 'onnx', 'torch', 'numpy']) {
    const v = pkgs?.[k] ?? (k === 'openvino' ? facts['openvino'] : undefined);
    if (typeof v === 'string') parts.push(`${k} ${v}`);
  }
  if (typeof facts['image'] === 'string') parts.push(facts['image']);
  return parts.join(' · ') || 'fingerprinted';
}

function verdictSummary(v: Record<string, unknown>): string {
  const ok = v['pass'] ?? v['passed'];
  const parts = [ok === true ? 'passed' : ok === false ? 'FAILED' : 'recorded'];
  const t = v['totals'] && typeof v['totals'] === 'object' ? (v['totals'] as Record<string, unknown>) : undefined;
  if (t && typeof t['frames'] === 'number') parts.push(`${t['passed'] ?? '?'}/${t['frames']} frames`);
  if (t && typeof t['fp32Boxes'] === 'number') parts.push(`FP32 ${t['fp32Boxes']} boxes, INT8 ${t['int8Boxes']}`);
  if (t && typeof t['recall'] === 'number') parts.push(`recall ${t['recall'].toFixed(3)}`);
  if (typeof v['frames'] === 'number') parts.push(`${v['frames']} frames`);
  for (const k of ['device', 'openvinoVersion']) if (typeof v[k] === 'string') parts.push(`${k === 'device' ? '' : 'OpenVINO '}${v[k]}`.trim());
  return parts.join(' · ');
}

/** Code files grouped by directory (`demo/training/bevlite/ (9 files)`), so a tree stays readable. */
function groupCode(sources: LineageSource[]): string[] {
  const byDir = new Map<string, LineageSource[]>();
  for (const s of sources) {
    const dir = s.path.includes('/') ? s.path.slice(0, s.path.lastIndexOf('/') + 1) : '';
    byDir.set(dir, [...(byDir.get(dir) ?? []), s]);
  }
  return [...byDir].map(([dir, list]) => (list.length > 2 ? `${dir} (${list.length} files)` : list.map((s) => `${s.path}  ${short(s.digest)}`).join(', ')));
}

export function renderLineageText(l: Lineage): string {
  const byId = new Map(l.nodes.map((n) => [n.id, n]));
  const out: string[] = [];
  const shown = new Set<string>();
  const chains = new Map<string, string>();
  const head = (n: LineageNode) =>
    `${n.id}  ${n.rule}${n.builtAt ? `  built ${n.builtAt.replace('T', ' ').slice(0, 19)}` : '  (not built in this workspace)'}${n.provenance ? `  provenance ${short(n.provenance.digest)}${n.provenance.signed ? ' (signed)' : ''}` : ''}`;

  const walk = (id: string, prefix: string) => {
    const n = byId.get(id);
    if (!n) return;
    const lines: {text: string; child?: string}[] = [];
    for (const o of n.outputs) lines.push({text: `output    ${o.path}${o.fileKind ? ` [${o.fileKind}]` : ''}  ${short(o.digest)}${o.semantic ? ` (semantic ${short(o.semantic)})` : ''}`});
    if (n.validation) lines.push({text: `verdict   ${verdictSummary(n.validation)}`});
    for (const kind of ['data', 'config', 'toolchain', 'system'] as const) {
      const of = n.sources.filter((x) => x.kind === kind);
      // The same config chain under many nodes is printed once, then referred to.
      const sig = of.map((x) => `${x.path}=${x.digest}`).join('\n');
      const same = kind === 'config' && of.length > 1 ? chains.get(sig) : undefined;
      if (same) lines.push({text: `config    the same ${of.length} files as ${same}`});
      else for (const s of of) lines.push({text: `${kind.padEnd(9)} ${s.path}  ${short(s.digest)}`});
      if (kind === 'config' && of.length > 1 && !same) chains.set(sig, n.id);
    }
    for (const c of groupCode(n.sources.filter((x) => x.kind === 'code'))) lines.push({text: `code      ${c}`});
    for (const g of n.git) lines.push({text: `git       ${g.repo} @ ${g.commit.slice(0, 12)}${g.dirty ? ' (dirty)' : ''}${g.at === 'now' ? ' (now; no provenance recorded)' : ''}`});
    if (n.toolchain) {
      const tc = byId.get(n.toolchain.id);
      const spec = tc?.sources.filter((x) => x.kind === 'toolchain').map((x) => `${x.path} ${short(x.digest)}`) ?? [];
      lines.push({text: `toolchain ${n.toolchain.id}: ${toolchainSummary(n.toolchain.facts ?? tc?.fingerprint)}${spec.length ? ` (${spec.join(', ')})` : ''}`});
    }
    for (const u of n.upstream) lines.push({text: `  via ${u.paths.join(', ')}`, child: u.id});
    lines.forEach(({text, child}, i) => {
      const last = i === lines.length - 1;
      const branch = `${prefix}${last ? '└─ ' : '├─ '}`;
      const up = child ? byId.get(child) : undefined;
      if (!child) out.push(`${branch}${text}`);
      else if (!up || shown.has(child)) out.push(`${branch}${child}${text.trimEnd() === 'via' ? '' : text} (shown above)`);
      else {
        shown.add(child);
        out.push(`${branch}${head(up)}${text.trimEnd() === 'via' ? '' : text}`);
        walk(child, `${prefix}${last ? '   ' : '│  '}`);
      }
    });
  };

  for (const t of l.targets) {
    const n = byId.get(t)!;
    shown.add(t);
    out.push(head(n));
    const files = l.files.filter((f) => f.path === t || n.outputs.some((o) => f.path === o.path || f.path.startsWith(`${o.path}/`)));
    for (const f of files) out.push(`  file ${f.path}  ${short(f.digest)}${f.from ? `  = ${f.from.path} (${f.from.id})` : ''}`);
    walk(t, '  ');
    out.push('');
  }
  return out.join('\n');
}

export function renderLineageMermaid(l: Lineage): string {
  const lines = ['flowchart LR'];
  const ids = new Map<string, string>();
  const idOf = (key: string) => {
    let v = ids.get(key);
    if (!v) ids.set(key, (v = `n${ids.size}`));
    return v;
  };
  const esc = (s: string) => s.replaceAll('"', '#quot;');
  const declared = new Set<string>();
  const declare = (key: string, text: string) => {
    if (declared.has(key)) return idOf(key);
    declared.add(key);
    lines.push(`  ${idOf(key)}${text.replace('$', () => esc(key.replace(/^[a-z]+:/, '')))}`);
    return idOf(key);
  };
  for (const n of l.nodes) {
    const shape = n.category === 'toolchain' ? '[/"$<br/><small>TOOLCHAIN</small>"/]' : n.category === 'validation' ? '{{"$<br/><small>RULE</small>"}}' : '["$<br/><small>RULE</small>"]';
    declare(`node:${n.id}`, shape.replace('TOOLCHAIN', () => esc(toolchainSummary(n.fingerprint))).replace('RULE', () => esc(n.rule)));
  }
  for (const n of l.nodes) {
    const me = idOf(`node:${n.id}`);
    for (const u of n.upstream) lines.push(`  ${idOf(`node:${u.id}`)} --> ${me}`);
    if (n.toolchain) lines.push(`  ${idOf(`node:${n.toolchain.id}`)} -.-> ${me}`);
    for (const s of n.sources.filter((x) => x.kind === 'config' || x.kind === 'data')) {
      const leaf = declare(`${s.kind}:${s.path}`, s.kind === 'data' ? '[("$")]' : '(["$"])');
      lines.push(`  ${leaf} --> ${me}`);
    }
    for (const g of n.git) {
      const leaf = declare(`git:${g.repo}@${g.commit.slice(0, 12)}${g.dirty ? ' dirty' : ''}`, '>"git $"]');
      lines.push(`  ${leaf} -.-> ${me}`);
    }
  }
  return lines.join('\n');
}
