/**
 * The gate's self-contained HTML report: the verdict with its margins (how far from failing), the
 * criteria as thresholds, the models, two per-frame charts (inline SVG: FP32 vs INT8 box counts;
 * boxes that differ against the per-frame threshold line), frame ids on the axis, and a table with
 * each failing frame's reason. No scripts, fonts or external assets.
 */
import type {FrameVerdict} from './compare.ts';
import type {GateTimings, ValidationResult} from './validate.ts';

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const HEIGHT = 160;
const LABELS = 60; // room under the axis for rotated frame ids

interface Series {
  value: (f: FrameVerdict) => number;
  color: string;
}

// Bars per frame (one per series), a red band behind failing frames, ids under the axis, and an
// optional dashed threshold line.
function chart(frames: FrameVerdict[], series: Series[], label: string, threshold?: {value: number; text: string}): string {
  const n = frames.length;
  const group = Math.max(12, Math.min(40, Math.floor(900 / Math.max(1, n))));
  const bar = Math.max(2, Math.floor((group - 2) / series.length));
  const top = Math.max(1, threshold ? threshold.value + 1 : 1, ...frames.flatMap((f) => series.map((s) => s.value(f))));
  const y = (v: number): number => HEIGHT - (v / top) * (HEIGHT - 20);
  const width = 60 + n * group;
  const parts: string[] = [];
  frames.forEach((f, i) => {
    const x = 40 + i * group;
    if (!f.pass) parts.push(`<rect x="${x - 1}" y="0" width="${group}" height="${HEIGHT}" fill="#fdd"/>`);
    const tip = `${esc(f.id)}: FP32 ${f.fp32Count}, INT8 ${f.int8Count}, matched ${f.matched}, ${f.boxDiff} differ`;
    const bars = series.map((s, k) => `<rect x="${x + k * bar}" y="${y(s.value(f))}" width="${bar}" height="${HEIGHT - y(s.value(f))}" fill="${s.color}"/>`);
    parts.push(`<g><title>${tip}</title>${bars.join('')}</g>`);
    const cx = x + group / 2;
    parts.push(`<text x="${cx}" y="${HEIGHT + 6}" font-size="9" text-anchor="end" transform="rotate(-60 ${cx} ${HEIGHT + 6})">${esc(f.id)}</text>`);
  });
  if (threshold) {
    parts.push(
      `<line x1="38" y1="${y(threshold.value)}" x2="${width}" y2="${y(threshold.value)}" stroke="#c00" stroke-dasharray="4 3"/>` +
        `<text x="${width}" y="${y(threshold.value) - 3}" font-size="10" text-anchor="end" fill="#c00">${esc(threshold.text)}</text>`,
    );
  }
  const axis =
    `<line x1="38" y1="${HEIGHT}" x2="${width}" y2="${HEIGHT}" stroke="#333"/>` +
    `<text x="34" y="${HEIGHT}" font-size="10" text-anchor="end">0</text>` +
    `<text x="34" y="${y(top) + 8}" font-size="10" text-anchor="end">${top}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEIGHT + LABELS}" role="img" aria-label="${esc(label)}">${axis}${parts.join('')}</svg>`;
}

const list = (xs: string[]): string => xs.map((x) => `<code>${esc(x)}</code>`).join(' → ');

/** Renders the report page; `timings` (varying every run) appear only here, never in validation.json. */
export function renderReport(r: ValidationResult, timings: GateTimings): string {
  const t = r.totals;
  const m = r.margins;
  const rows = r.frames
    .map(
      (f) =>
        `<tr class="${f.pass ? 'ok' : 'bad'}"><td>${esc(f.id)}</td><td>${f.fp32Count}</td><td>${f.int8Count}</td><td>${f.matched}</td>` +
        `<td>${f.boxDiff}</td><td>${f.maxAbsHeatmapDiff.toExponential(2)}</td><td>${f.pass ? 'pass' : 'FAIL'}</td><td class="l">${esc(f.reason ?? '')}</td></tr>`,
    )
    .join('\n');
  const counts = chart(r.frames, [{value: (f) => f.fp32Count, color: '#4a7bd0'}, {value: (f) => f.int8Count, color: '#e39b2d'}], 'boxes per frame');
  const diffs = chart(r.frames, [{value: (f) => f.boxDiff, color: '#7a4ac0'}], 'boxes that differ per frame', {value: r.criteria.maxBoxDiff, text: `threshold: at most ${r.criteria.maxBoxDiff}`});
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bevbuild INT8 validation</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}
td.l,th.l{text-align:left}tr.bad{background:#fdd}.key span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}</style></head>
<body>
<h1>INT8 vs FP32: ${r.pass ? 'PASS' : 'FAIL'}</h1>
${(r.reasons ?? []).map((x) => `<p><strong>Fails:</strong> ${esc(x)}</p>`).join('\n')}
<h2>Criteria and margins</h2>
<table><thead><tr><th class="l">criterion</th><th>threshold</th><th>measured</th><th>margin (how far from failing)</th></tr></thead><tbody>
<tr><td class="l">boxes that differ on any frame (unmatched FP32 or INT8, same class within ${r.criteria.matchRadiusM} m)</td><td>≤ ${m.boxDiff.threshold}</td><td>${m.boxDiff.worst} (worst: ${esc(m.boxDiff.worstFrame)})</td><td>${m.boxDiff.margin} box(es)</td></tr>
<tr><td class="l">recall of matched boxes over all frames</td><td>≥ ${m.recall.threshold}</td><td>${m.recall.value.toFixed(4)} (${t.matchedBoxes}/${t.fp32Boxes})</td><td>${m.recall.margin.toFixed(4)} (${m.recall.boxes} more unmatched box(es) allowed)</td></tr>
</tbody></table>
<p>${t.passed}/${t.frames} frames pass. Boxes FP32 ${t.fp32Boxes}, INT8 ${t.int8Boxes}, matched ${t.matchedBoxes}; max |Δheatmap| ${t.maxAbsHeatmapDiff.toExponential(2)}.
Pipeline ${esc(r.pipeline)}, OpenVINO ${esc(r.openvinoVersion)}, device ${esc(r.device)}, score threshold ${r.params.scoreThreshold}, pre_max ${r.params.preMax}.</p>
<p>Models: FP32 ${list(r.models.fp32.map((x) => x.path))}; INT8 ${list(r.models.int8.map((x) => x.path))}.</p>
<p>Finished ${esc(timings.finishedAt)}; ${timings.framesPerSecond.toFixed(1)} frames/s; decode+NMS ${(timings.decodeShare * 100).toFixed(2)} % of per-frame time (timings.json; not part of validation.json).</p>
<p class="key"><span style="background:#4a7bd0"></span>FP32 boxes<span style="background:#e39b2d"></span>INT8 boxes<span style="background:#7a4ac0"></span>boxes that differ<span style="background:#fdd"></span>failing frame</p>
${counts}
${diffs}
<table><thead><tr><th>frame</th><th>FP32</th><th>INT8</th><th>matched</th><th>differ</th><th>max |Δheatmap|</th><th></th><th class="l">failure reason</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}
