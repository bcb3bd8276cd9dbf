// The page of `bevbuild ui`: plain DOM + SVG, no framework, nothing fetched but this server's API.
// The server lays the graph out (src/ui/layout.ts); this draws it, keeps colours live from the
// server-sent events of builds, and renders the node panel, validation reports and past runs.

const SVG = 'http://www.w3.org/2000/svg';
const $ = (sel) => document.querySelector(sel);

/** Builds an element: h('td', {class: 'num'}, 'text', child…). Text is always text, never HTML. */
function h(tag, attrs = {}, ...kids) {
  const el = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, String(v));
  }
  for (const kid of kids.flat()) if (kid !== undefined && kid !== null && kid !== false) el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  return el;
}

async function api(path, init) {
  const r = await fetch(path, init);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || `${r.status}`);
  return body;
}

const ms = (n) => (n >= 60000 ? `${(n / 60000).toFixed(1)} min` : n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${n} ms`);
const size = (n) => (n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)} GiB` : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);
const STATE_WORDS = {fresh: 'fresh', restore: 'would restore', stale: 'stale', running: 'running', failed: 'failed'};
const fileLink = (rel, text) => h('a', {href: `/files/${rel.split('/').map(encodeURIComponent).join('/')}`, target: '_blank'}, text ?? rel);

let graph; // {layout, states, reasons, allowBuild, root}
let selected;

// ---------- graph ----------
function drawGraph() {
  const {layout} = graph;
  const W = layout.nodeWidth;
  const H = layout.nodeHeight;
  const svg = h('svg:svg', {width: layout.width + 20, height: layout.height + 10, id: 'graph-svg'});
  for (const lane of layout.lanes) {
    svg.append(h('svg:g', {class: 'lane'}, h('svg:rect', {x: 4, y: lane.y, width: layout.width + 10, height: lane.height, rx: 4}), h('svg:text', {x: 10, y: lane.y + 16}, lane.name.length > 20 ? `${lane.name.slice(0, 19)}…` : lane.name, h('svg:title', {}, lane.name))));
  }
  const pos = new Map(layout.nodes.map((n) => [n.id, n]));
  for (const n of layout.nodes) {
    for (const d of n.deps) {
      const a = pos.get(d);
      if (!a) continue;
      const x1 = a.x + W;
      const y1 = a.y + H / 2;
      const x2 = n.x;
      const y2 = n.y + H / 2;
      const mx = (x1 + x2) / 2;
      // Toolchain edges (env/* feeds most nodes) show only for the selected node: 100 lines from one box say nothing.
      svg.append(h('svg:path', {class: a.lane === 'env' ? 'edge tc' : 'edge', 'data-from': d, 'data-to': n.id, d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`}));
    }
  }
  for (const n of layout.nodes) {
    const label = n.id.length > 27 ? `…${n.id.slice(-26)}` : n.id;
    const g = h('svg:g', {class: 'node', 'data-id': n.id, 'data-state': graph.states[n.id] ?? 'fresh', transform: `translate(${n.x},${n.y})`, onclick: () => select(n.id)},
      h('svg:title', {}, `${n.id} (${n.rule})`),
      h('svg:rect', {width: W, height: H, rx: 5}),
      h('svg:text', {x: 8, y: H / 2 + 4}, label));
    svg.append(g);
  }
  $('#canvas').replaceChildren(svg);
  updateCounts();
}

function setState(id, state) {
  graph.states[id] = state;
  const g = document.querySelector(`.node[data-id="${CSS.escape(id)}"]`);
  if (g) g.setAttribute('data-state', state);
  if (selected === id) {
    const b = $('#panel .badge');
    if (b) {
      b.setAttribute('data-state', state);
      b.textContent = STATE_WORDS[state];
    }
  }
}

function updateCounts() {
  const c = {};
  for (const s of Object.values(graph.states)) c[s] = (c[s] ?? 0) + 1;
  $('#counts').textContent = `${Object.keys(graph.states).length} nodes: ` + Object.entries(c).map(([s, n]) => `${n} ${STATE_WORDS[s]}`).join(', ');
}

// Each keystroke asks the server; answers can arrive out of order, so only the newest request may
// repaint (otherwise the answer for "d" could land after the one for "deploy/**").
let filterSeq = 0;
async function applyFilter() {
  const seq = ++filterSeq;
  const glob = $('#filter').value.trim();
  let keep;
  if (glob) {
    try {
      keep = new Set((await api(`/api/match?glob=${encodeURIComponent(glob)}`)).ids);
    } catch {
      keep = new Set();
    }
  }
  if (seq !== filterSeq) return;
  for (const g of document.querySelectorAll('.node')) g.classList.toggle('dim', Boolean(keep) && !keep.has(g.dataset.id));
  for (const e of document.querySelectorAll('.edge')) e.classList.toggle('dim', Boolean(keep) && !(keep.has(e.dataset.from) && keep.has(e.dataset.to)));
}

// ---------- node panel ----------
async function select(id) {
  selected = id;
  for (const g of document.querySelectorAll('.node')) g.classList.toggle('sel', g.dataset.id === id);
  for (const e of document.querySelectorAll('.edge')) e.classList.toggle('hi', e.dataset.from === id || e.dataset.to === id);
  const panel = $('#panel');
  panel.hidden = false;
  panel.replaceChildren(h('p', {class: 'muted'}, `loading ${id}…`));
  let d;
  try {
    d = await api(`/api/node?id=${encodeURIComponent(id)}`);
  } catch (e) {
    panel.replaceChildren(h('p', {}, `could not load ${id}: ${e.message}`));
    return;
  }
  if (selected !== id) return;
  panel.replaceChildren(...renderNode(d));
}

function renderNode(d) {
  const out = [
    h('button', {class: 'close', title: 'close', onclick: () => ($('#panel').hidden = true)}, '×'),
    h('h2', {}, d.id),
    h('div', {}, h('span', {class: 'badge', 'data-state': d.state}, STATE_WORDS[d.state]), ' ', h('span', {class: 'muted'}, `${d.rule} · executor ${d.executor}`)),
  ];
  if (graph.allowBuild) out.push(h('p', {}, h('button', {class: 'build', onclick: () => startBuild(d.id)}, `build ${d.id}`)));

  out.push(h('h3', {}, 'Why'));
  const stale = d.why.entries.filter((e) => e.verdict !== 'fresh');
  if (!stale.length) out.push(h('p', {}, 'Fresh: its outputs match the last good build.'));
  else {
    out.push(...d.why.rootCauses.map((r) => h('div', {class: 'root-cause'}, h('b', {}, 'root cause '), h('code', {}, r.id), ': ', r.reasons.join('; '))));
    out.push(h('div', {class: 'why-tree'}, stale.map((e) => h('div', {class: 'why-line'}, `${'  '.repeat(e.depth)}${e.id}: ${e.verdict} — ${e.reasons.join('; ')}`))));
  }

  out.push(h('h3', {}, 'Last run'));
  const r = d.lastRun;
  if (!r) out.push(h('p', {class: 'muted'}, 'No run recorded in this workspace.'));
  else {
    out.push(h('table', {}, h('tbody', {},
      h('tr', {}, h('th', {}, 'when'), h('td', {}, r.at)),
      h('tr', {}, h('th', {}, 'status'), h('td', {}, r.status)),
      h('tr', {}, h('th', {}, 'exit'), h('td', {}, r.exit)),
      h('tr', {}, h('th', {}, 'duration'), h('td', {}, ms(r.durationMs))),
      h('tr', {}, h('th', {}, 'executor'), h('td', {}, r.executor)),
      h('tr', {}, h('th', {}, 'argv'), h('td', {class: 'mono'}, (r.argv ?? ['(not recorded)']).join(' '))),
      r.logFile ? h('tr', {}, h('th', {}, 'log'), h('td', {}, fileLink(r.logFile, 'full log'))) : null)));
    if (r.logTail.length) out.push(h('pre', {class: 'log-tail'}, r.logTail.join('\n')));
  }

  const l = d.lineage;
  out.push(h('h3', {}, 'Outputs'));
  if (l?.outputs?.length) {
    out.push(h('table', {}, h('tbody', {}, l.outputs.map((o) => h('tr', {},
      h('td', {}, o.digest ? fileLink(o.path) : h('code', {}, o.path)),
      h('td', {class: 'num'}, o.digest ? size(o.size) : 'not built'),
      h('td', {class: 'mono', title: o.digest}, o.digest ? o.digest.slice(0, 12) : ''))))));
  }
  out.push(h('h3', {}, 'Inputs'));
  const inputs = [...(l?.upstream ?? []).map((u) => h('tr', {}, h('td', {}, h('a', {href: '#', onclick: (ev) => (ev.preventDefault(), select(u.id))}, u.id)), h('td', {class: 'mono'}, u.paths.join(', ')))),
    ...(l?.sources ?? []).map((s) => h('tr', {}, h('td', {class: 'mono'}, s.path), h('td', {class: 'mono', title: s.digest}, `${s.kind} ${String(s.digest).slice(0, 12)}`)))];
  out.push(inputs.length ? h('table', {}, h('tbody', {}, inputs)) : h('p', {class: 'muted'}, 'none recorded (never built here)'));
  out.push(h('h3', {}, 'Toolchain'));
  out.push(l?.toolchain
    ? h('div', {}, h('p', {}, h('a', {href: '#', onclick: (ev) => (ev.preventDefault(), select(l.toolchain.id))}, l.toolchain.id), `: ${d.toolchainSummary}`),
        l.toolchain.facts ? h('details', {}, h('summary', {}, 'fingerprint'), h('pre', {}, JSON.stringify(l.toolchain.facts, null, 1).slice(0, 4000))) : null)
    : h('p', {class: 'muted'}, 'none'));
  out.push(h('h3', {}, 'Provenance'));
  out.push(d.provenance
    ? h('div', {}, h('p', {}, `${d.provenance.signed ? 'signed' : 'unsigned'} in-toto statement `, h('code', {}, d.provenance.digest.slice(0, 16)), ` · ${d.provenance.buildType}`),
        h('table', {}, h('tbody', {}, d.provenance.subjects.slice(0, 20).map((s) => h('tr', {}, h('td', {class: 'mono'}, s.name), h('td', {class: 'mono'}, s.digest.slice(0, 12)))))))
    : h('p', {class: 'muted'}, 'no provenance recorded (not built here, or not cached)'));
  out.push(h('h3', {}, 'Lineage'));
  out.push(h('pre', {class: 'lineage'}, d.lineageText));
  return out;
}

async function startBuild(id) {
  try {
    await api('/api/build', {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({target: id})});
  } catch (e) {
    alert(`could not start the build: ${e.message}`);
  }
}

// ---------- validation ----------
function boxDiffChart(r) {
  const frames = r.frames;
  const H = 140;
  const group = Math.max(14, Math.min(40, Math.floor(900 / Math.max(1, frames.length))));
  const top = Math.max(1, r.criteria.maxBoxDiff + 1, ...frames.map((f) => f.boxDiff));
  const y = (v) => H - (v / top) * (H - 16);
  const width = 60 + frames.length * group;
  const svg = h('svg:svg', {width, height: H + 70, class: 'chart', role: 'img', 'aria-label': 'boxes that differ per frame'});
  frames.forEach((f, i) => {
    const x = 44 + i * group;
    if (!f.pass) svg.append(h('svg:rect', {x: x - 1, y: 0, width: group, height: H, fill: '#fdd'}));
    svg.append(h('svg:rect', {x, y: y(f.boxDiff), width: group - 4, height: H - y(f.boxDiff), fill: f.pass ? '#7a4ac0' : '#d64541'}, h('svg:title', {}, `${f.id}: ${f.boxDiff} boxes differ (FP32 ${f.fp32Count}, INT8 ${f.int8Count}, matched ${f.matched})`)));
    const cx = x + group / 2;
    svg.append(h('svg:text', {x: cx, y: H + 8, 'font-size': 9, 'text-anchor': 'end', transform: `rotate(-60 ${cx} ${H + 8})`}, f.id));
  });
  const ty = y(r.criteria.maxBoxDiff);
  svg.append(h('svg:line', {x1: 40, y1: ty, x2: width, y2: ty, stroke: '#c00', 'stroke-dasharray': '4 3'}));
  svg.append(h('svg:text', {x: 44, y: ty - 3, 'font-size': 10, fill: '#c00'}, `threshold: at most ${r.criteria.maxBoxDiff} differing`));
  svg.append(h('svg:line', {x1: 40, y1: H, x2: width, y2: H, stroke: '#333'}));
  svg.append(h('svg:text', {x: 36, y: H, 'font-size': 10, 'text-anchor': 'end'}, '0'));
  svg.append(h('svg:text', {x: 36, y: y(top) + 8, 'font-size': 10, 'text-anchor': 'end'}, String(top)));
  return svg;
}

function renderReport(rep) {
  const box = h('div', {class: 'report', 'data-id': rep.id});
  const r = rep.result;
  box.append(h('h2', {}, rep.id, ' ', r ? h('span', {class: `verdict ${r.pass ? 'pass' : 'fail'}`}, r.pass ? 'PASS' : 'FAIL') : h('span', {class: 'muted'}, 'no report')));
  if (!r) {
    box.append(h('p', {}, rep.problem));
    return box;
  }
  if (rep.failedRun) box.append(h('p', {class: 'muted'}, `from the failed run ${rep.failedRun} (outputs bevbuild kept beside its log; the workspace keeps the last good build)`));
  for (const reason of r.reasons ?? []) box.append(h('p', {class: 'fail-reason'}, h('b', {}, 'Fails: '), reason));
  const m = r.margins;
  const t = r.totals;
  box.append(h('table', {class: 'criteria'},
    h('thead', {}, h('tr', {}, h('th', {}, 'criterion'), h('th', {}, 'threshold'), h('th', {}, 'measured'), h('th', {}, 'margin to failing'))),
    h('tbody', {},
      h('tr', {class: m.boxDiff.margin < 0 ? 'fail' : ''}, h('td', {}, `boxes that differ on any frame (same class within ${r.criteria.matchRadiusM} m)`), h('td', {}, `≤ ${m.boxDiff.threshold}`), h('td', {}, `${m.boxDiff.worst} (worst: ${m.boxDiff.worstFrame})`), h('td', {class: 'num'}, `${m.boxDiff.margin} box(es)`)),
      h('tr', {class: m.recall.margin < 0 ? 'fail' : ''}, h('td', {}, 'recall of matched boxes over all frames'), h('td', {}, `≥ ${m.recall.threshold}`), h('td', {}, `${m.recall.value.toFixed(4)} (${t.matchedBoxes}/${t.fp32Boxes})`), h('td', {class: 'num'}, `${m.recall.margin.toFixed(4)} (${m.recall.boxes} more unmatched allowed)`)))));
  box.append(h('p', {class: 'muted'}, `${t.passed}/${t.frames} frames pass · FP32 ${t.fp32Boxes} boxes, INT8 ${t.int8Boxes}, matched ${t.matchedBoxes} · pipeline ${r.pipeline} · OpenVINO ${r.openvinoVersion} · ${r.device}` + (rep.finishedAt ? ` · validated ${rep.finishedAt}` : '') + (rep.builtAt ? ` · recorded ${rep.builtAt}` : '')));
  box.append(h('p', {class: 'muted'}, 'FP32: ', r.models.fp32.map((x) => x.path).join(' → '), h('br'), 'INT8: ', r.models.int8.map((x) => x.path).join(' → ')));
  box.append(boxDiffChart(r));
  box.append(h('table', {class: 'frames'},
    h('thead', {}, h('tr', {}, h('th', {}, 'frame'), h('th', {class: 'num'}, 'FP32'), h('th', {class: 'num'}, 'INT8'), h('th', {class: 'num'}, 'matched'), h('th', {class: 'num'}, 'differ'), h('th', {}, ''), h('th', {}, 'failure reason'))),
    h('tbody', {}, r.frames.map((f) => h('tr', {class: `frame ${f.pass ? 'pass' : 'fail'}`, 'data-frame': f.id},
      h('td', {class: 'mono'}, f.id), h('td', {class: 'num'}, f.fp32Count), h('td', {class: 'num'}, f.int8Count), h('td', {class: 'num'}, f.matched), h('td', {class: 'num'}, f.boxDiff), h('td', {}, f.pass ? 'pass' : 'FAIL'), h('td', {}, f.reason ?? ''))))));
  box.append(h('p', {}, fileLink(rep.path, 'validation.json'), rep.reportHtml ? [' · ', fileLink(rep.reportHtml, "the gate's report.html")] : null));
  return box;
}

async function showValidation() {
  const sec = $('#validation');
  const {reports} = await api('/api/validation');
  // Failing gates first: they are what one opens this view for.
  const rank = (r) => (r.result ? (r.result.pass ? 2 : 0) : 1);
  reports.sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
  const failing = reports.filter((r) => r.result && !r.result.pass).length;
  sec.replaceChildren(h('p', {class: 'gates'}, `${reports.length} validation gate(s): ${failing} failing, ${reports.filter((r) => r.result?.pass).length} passing, ${reports.filter((r) => !r.result).length} without a report`),
    ...(reports.length ? reports.map(renderReport) : [h('p', {}, 'No validation gates (nodes with a validation.json output) in view.')]));
}

// ---------- runs ----------
async function showRuns() {
  const sec = $('#runs');
  const {runs} = await api('/api/runs');
  const detail = h('div', {id: 'run-detail'});
  const rows = runs.map((r) => h('tr', {'data-run': r.runId, onclick: () => openRun(r.runId, detail)},
    h('td', {class: 'mono'}, r.runId), h('td', {class: 'mono'}, r.incomplete ? '(no summary: killed or still running)' : (r.argv ?? []).join(' ')),
    h('td', {class: 'num'}, r.executed ?? ''), h('td', {class: 'num'}, r.restored ?? ''), h('td', {class: 'num'}, r.failed ?? ''), h('td', {class: 'num'}, r.durationMs === undefined ? '' : ms(r.durationMs))));
  sec.replaceChildren(h('table', {class: 'runs'}, h('thead', {}, h('tr', {}, h('th', {}, 'run'), h('th', {}, 'command'), h('th', {class: 'num'}, 'ran'), h('th', {class: 'num'}, 'restored'), h('th', {class: 'num'}, 'failed'), h('th', {class: 'num'}, 'took'))), h('tbody', {}, rows)),
    runs.length ? detail : h('p', {}, 'No builds recorded yet: every `bevbuild build` from now on leaves its summary in .bevbuild/history/.'));
}

async function openRun(id, into) {
  const s = await api(`/api/run?id=${encodeURIComponent(id)}`);
  into.replaceChildren(
    h('h3', {}, `run ${s.runId}`),
    h('p', {}, `${s.startedAt} → ${s.finishedAt} · ${ms(s.durationMs)} · ran ${s.executed}, restored ${s.restored}, fresh ${s.fresh}, failed ${s.failed}, skipped ${s.skipped}`),
    h('p', {class: 'critical-path'}, h('b', {}, `critical path (${ms(s.criticalPath.durationMs)}): `), s.criticalPath.ids.join(' → ')),
    h('table', {}, h('tbody', {}, s.nodes.map((n) => h('tr', {class: n.status === 'failed' ? 'fail' : ''},
      h('td', {class: 'mono'}, n.id), h('td', {}, n.status), h('td', {class: 'num'}, ms(n.durationMs)), h('td', {}, n.message ?? (n.reasons ?? []).join('; ')), h('td', {}, n.logFile ? fileLink(n.logFile, 'log') : ''))))));
}

// ---------- tabs, live updates, start ----------
function showTab(name) {
  for (const b of document.querySelectorAll('nav button')) b.classList.toggle('on', b.dataset.tab === name);
  for (const s of document.querySelectorAll('.tab')) s.classList.toggle('on', s.id === name);
  // The node panel belongs to the graph: it comes back with it.
  $('#panel').classList.toggle('away', name !== 'graph');
  if (name === 'validation') void showValidation();
  if (name === 'runs') void showRuns();
}

function connect() {
  const es = new EventSource('/api/events');
  es.onopen = () => $('#live').classList.add('on');
  es.onerror = () => $('#live').classList.remove('on');
  es.onmessage = (m) => {
    const e = JSON.parse(m.data);
    if (e.type === 'problem') $('#workspace').textContent = `${graph.root} — not refreshed: ${e.message}`;
    if (e.type === 'states') {
      $('#workspace').textContent = graph.root + (graph.targets.length ? `  [${graph.targets.join(' ')}]` : '');
      for (const [id, s] of Object.entries(e.states)) setState(id, s);
      updateCounts();
      if (selected && !$('#panel').hidden) void select(selected);
    } else if (e.id && e.state) {
      setState(e.id, e.state);
      updateCounts();
    }
    if (e.type === 'summary' && $('#runs').classList.contains('on')) void showRuns();
  };
}

async function start() {
  graph = await api('/api/graph');
  $('#workspace').textContent = graph.root + (graph.targets.length ? `  [${graph.targets.join(' ')}]` : '');
  drawGraph();
  for (const b of document.querySelectorAll('nav button')) b.addEventListener('click', () => showTab(b.dataset.tab));
  $('#filter').addEventListener('input', () => void applyFilter());
  connect();
  document.body.dataset.ready = '1';
}

void start();
