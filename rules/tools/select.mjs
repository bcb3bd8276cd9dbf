#!/usr/bin/env node
// Picks one candidate of a sweep by a metric and materialises its artifacts (rules/select.ts).
// Usage: select.mjs --spec JSON --selection OUT.json NAME=DEST [NAME=DEST …]
// The spec names the metric (a dot path such as `recall`, or a JSON pointer such as `/Car/AP11`),
// the direction (max|min), the tie-break (first | {lowest: param} | {highest: param}) and every
// candidate: {id, index, params, metrics: {abs, rel}, files: {NAME: {abs, rel}}}.
// selection.json is deterministic (no times, workspace-relative paths): it lists every candidate,
// its metric and rank, the winner and why it won.
import {constants, copyFileSync, cpSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {dirname} from 'node:path';

const die = (msg) => {
  console.error(`select: ${msg}`);
  process.exit(2);
};
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  if (i < 0 || args[i + 1] === undefined) die(`missing ${name} (usage: select.mjs --spec JSON --selection FILE NAME=DEST …)`);
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const spec = JSON.parse(opt('--spec'));
const selectionOut = opt('--selection');
const dests = Object.fromEntries(args.map((a) => {
  const eq = a.indexOf('=');
  if (eq <= 0) die(`expected NAME=DEST, got "${a}"`);
  return [a.slice(0, eq), a.slice(eq + 1)];
}));

/** The value at `path` (dot path, or a JSON pointer when it starts with `/`). */
function lookup(doc, path) {
  const parts = path.startsWith('/') ? path.slice(1).split('/').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~')) : path.split('.');
  let v = doc;
  for (const p of parts) {
    // Own keys only: `constructor`/`toString` are no metric of a JSON object.
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, p)) return {missing: p, keys: v && typeof v === 'object' ? Object.keys(v).slice(0, 12) : []};
    v = v[p];
  }
  return {value: v};
}

const scored = spec.candidates.map((c) => {
  let doc;
  try {
    doc = JSON.parse(readFileSync(c.metrics.abs, 'utf8'));
  } catch (e) {
    // Python's json.dump writes NaN/Infinity for non-finite floats: not JSON, and no rankable metric.
    const hint = /\b(NaN|-?Infinity)\b/.test(e.message) ? ' (NaN/Infinity are not JSON: have the evaluation write a finite number)' : '';
    die(`${c.id}: cannot read the metric file ${c.metrics.rel}: ${e.message}${hint}`);
  }
  const got = lookup(doc, spec.metric);
  if ('missing' in got) die(`${c.id}: ${c.metrics.rel} has no "${spec.metric}" (no key "${got.missing}"; keys there: ${got.keys.join(', ') || 'none'}); fix \`metric\` of the select node`);
  // A decimal number written as a string ("0.91") counts; "0x1", "1e", " " do not.
  const value = typeof got.value === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(got.value) ? Number(got.value) : got.value;
  const shown = typeof got.value === 'number' ? String(got.value) : JSON.stringify(got.value); // 1e400 parses to Infinity: say so, not "null"
  if (typeof value !== 'number' || !Number.isFinite(value)) die(`${c.id}: "${spec.metric}" in ${c.metrics.rel} is ${shown}, expected a finite number (or a decimal number as a string)`);
  return {...c, value};
});

const better = spec.direction === 'max' ? (a, b) => a > b : (a, b) => a < b;
const best = scored.reduce((m, c) => (better(c.value, m) ? c.value : m), scored[0].value);
const tied = scored.filter((c) => c.value === best);
const tb = spec.tieBreak;
let winner = tied[0];
const others = (w) => tied.filter((c) => c !== w).map((c) => c.id).join(', ');
let why = tied.length === 1 ? `the ${spec.direction === 'max' ? 'highest' : 'lowest'} ${spec.metric} (${best})` : '';
if (tied.length > 1) {
  if (tb === 'first') {
    why = `the ${spec.direction === 'max' ? 'highest' : 'lowest'} ${spec.metric} (${best}), tied with ${others(winner)}: first in matrix order`;
  } else {
    const [dir, param] = 'lowest' in tb ? ['lowest', tb.lowest] : ['highest', tb.highest];
    const pick = dir === 'lowest' ? (a, b) => a < b : (a, b) => a > b;
    for (const c of tied) if (pick(c.params[param], winner.params[param])) winner = c;
    why = `the ${spec.direction === 'max' ? 'highest' : 'lowest'} ${spec.metric} (${best}), tied with ${others(winner)}: ${dir} ${param} (${winner.params[param]}), then first in matrix order`;
  }
}

// Rank: by metric, ties in matrix order (the winner is first among its ties by construction of `why`).
const ranked = [...scored].sort((a, b) => (a.value === b.value ? (a === winner ? -1 : b === winner ? 1 : a.index - b.index) : better(a.value, b.value) ? -1 : 1));
const rank = new Map(ranked.map((c, i) => [c.id, i + 1]));

for (const [name, dest] of Object.entries(dests)) {
  const src = winner.files[name];
  if (!src) die(`the winner ${winner.id} has no file "${name}"`);
  mkdirSync(dirname(dest), {recursive: true});
  // A copy (reflink where the filesystem can): the store then dedups it with the point's own output.
  if (statSync(src.abs).isDirectory()) cpSync(src.abs, dest, {recursive: true});
  else copyFileSync(src.abs, dest, constants.COPYFILE_FICLONE);
}
const selection = {
  metric: spec.metric,
  direction: spec.direction,
  tieBreak: tb,
  winner: {id: winner.id, params: winner.params, value: winner.value, files: Object.fromEntries(Object.entries(winner.files).map(([n, f]) => [n, f.rel]))},
  why,
  candidates: spec.candidates.map((c) => {
    const s = scored.find((x) => x.id === c.id);
    return {id: c.id, params: c.params, value: s.value, rank: rank.get(c.id), metrics: c.metrics.rel};
  }),
};
mkdirSync(dirname(selectionOut), {recursive: true});
writeFileSync(selectionOut, JSON.stringify(selection, null, 1) + '\n');
console.log(`selected ${winner.id}: ${why}`);
for (const c of ranked) console.log(`  #${rank.get(c.id)} ${c.id}: ${spec.metric} ${c.value}`);
