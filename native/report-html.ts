/**
 * The gate's self-contained HTML report: a per-frame chart (inline SVG: FP32 vs INT8 box counts,
 * failing frames marked) and a table. No scripts, fonts or external assets.
 */
import type {ValidationResult} from './validate.ts';

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

// Grouped bars per frame; a red band behind failing frames.
function chart(r: ValidationResult): string {
  const n = r.frames.length;
  const group = Math.max(6, Math.min(40, Math.floor(900 / Math.max(1, n))));
  const bar = Math.max(2, Math.floor((group - 2) / 2));
  const height = 200;
  const maxCount = Math.max(1, ...r.frames.flatMap((f) => [f.fp32Count, f.int8Count]));
  const scale = (v: number): number => (v / maxCount) * (height - 20);
  const width = 50 + n * group;
  const parts: string[] = [];
  r.frames.forEach((f, i) => {
    const x = 40 + i * group;
    if (!f.pass) parts.push(`<rect x="${x - 1}" y="0" width="${group}" height="${height}" fill="#fdd"/>`);
    const tip = `${esc(f.id)}: FP32 ${f.fp32Count}, INT8 ${f.int8Count}, recall ${f.recall.toFixed(3)}`;
    parts.push(
      `<g><title>${tip}</title>` +
        `<rect x="${x}" y="${height - scale(f.fp32Count)}" width="${bar}" height="${scale(f.fp32Count)}" fill="#4a7bd0"/>` +
        `<rect x="${x + bar}" y="${height - scale(f.int8Count)}" width="${bar}" height="${scale(f.int8Count)}" fill="#e39b2d"/></g>`,
    );
  });
  const axis =
    `<line x1="38" y1="${height}" x2="${width}" y2="${height}" stroke="#333"/>` +
    `<text x="34" y="${height}" font-size="10" text-anchor="end">0</text>` +
    `<text x="34" y="${height - scale(maxCount) + 8}" font-size="10" text-anchor="end">${maxCount}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 10}" role="img" aria-label="boxes per frame">${axis}${parts.join('')}</svg>`;
}

/** Renders the report page. */
export function renderReport(r: ValidationResult): string {
  const t = r.totals;
  const rows = r.frames
    .map(
      (f) =>
        `<tr class="${f.pass ? 'ok' : 'bad'}"><td>${esc(f.id)}</td><td>${f.fp32Count}</td><td>${f.int8Count}</td>` +
        `<td>${f.recall.toFixed(3)}</td><td>${f.maxAbsHeatmapDiff.toExponential(2)}</td><td>${f.pass ? 'pass' : 'FAIL'}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bevbuild INT8 validation</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}
tr.bad{background:#fdd}.key span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}</style></head>
<body>
<h1>INT8 vs FP32: ${r.pass ? 'PASS' : 'FAIL'}</h1>
<p>${t.passed}/${t.frames} frames pass (max count diff ${r.criteria.maxCountDiff}, min recall ${r.criteria.minRecall}).
Pipeline ${esc(r.pipeline)}, OpenVINO ${esc(r.openvinoVersion)}, device ${esc(r.device)}, score threshold ${r.params.scoreThreshold}.
Boxes FP32 ${t.fp32Boxes}, INT8 ${t.int8Boxes}; mean recall ${t.meanRecall.toFixed(3)}; max |Δheatmap| ${t.maxAbsHeatmapDiff.toExponential(2)}.</p>
<p>${r.timings.framesPerSecond.toFixed(1)} frames/s; decode+NMS ${(r.timings.decodeShare * 100).toFixed(2)} % of per-frame time.</p>
<p class="key"><span style="background:#4a7bd0"></span>FP32 boxes<span style="background:#e39b2d"></span>INT8 boxes<span style="background:#fdd"></span>failing frame</p>
${chart(r)}
<table><thead><tr><th>frame</th><th>FP32</th><th>INT8</th><th>recall</th><th>max |Δheatmap|</th><th></th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}
