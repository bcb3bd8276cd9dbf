/**
 * Offline verification of a deploy directory against a provenance bundle: every envelope must be
 * signed by a trusted key, the bundle must be one consistent chain (each statement's
 * `provenance:<producer>` digest is the sha256 of that producer's line, each consumed output digest
 * is the producer's subject digest), and the directory's files must be exactly the signed subjects
 * of one output. Every difference is named: the line and field, or the file and both digests.
 */
import type {KeyObject} from 'node:crypto';
import {statSync} from 'node:fs';
import {basename} from 'node:path';
import {hashBytes, hashFile, hashFiles} from '../../cache/digest.ts';
import {canonicalManifestJson, isExecutable, makeManifest, scanTree, type TreeEntry} from '../../cache/tree.ts';
import {verifyEnvelope} from './dsse.ts';
import {decodeProvenance, type Provenance} from './reader.ts';
import {statementNode, type ResourceDescriptor} from './statement.ts';

export interface VerifyReport {
  /** Problems, each naming what differs; empty means verified. */
  problems: string[];
  envelopes: number;
  signers: string[];
  /** The output the directory was matched to, and through which target's provenance. */
  matched?: {subject: string; target: string; files: number} | undefined;
}

const short = (d: string | undefined) => (d ?? '(none)').slice(0, 12);

export async function verifyBundle(text: string, dir: string, trusted: readonly KeyObject[]): Promise<VerifyReport> {
  const problems: string[] = [];
  const signers = new Set<string>();
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const good: {line: number; p: Provenance; target: string}[] = [];
  if (!lines.length) problems.push('the bundle holds no envelopes (make one with `bevbuild provenance <target> > bundle.jsonl`)');
  for (const [i, line] of lines.entries()) {
    const at = `bundle line ${i + 1}`;
    const p = decodeProvenance(line);
    if (!p.ok) {
      problems.push(`${at}: ${p.error.message}`);
      continue;
    }
    const target = statementNode(p.value.statement).target;
    const v = verifyEnvelope(p.value.envelope, trusted);
    if (!v.ok) {
      problems.push(`${at} (${target}): signature: ${v.error.message}`);
      continue;
    }
    signers.add(v.value.keyid);
    good.push({line: i + 1, p: p.value, target});
  }
  checkChain(good, problems);
  const matched = await checkDirectory(dir, good, problems);
  return {problems, envelopes: lines.length, signers: [...signers], matched};
}

/** Cross-links between statements: provenance digests and consumed output digests. */
function checkChain(good: {line: number; p: Provenance; target: string}[], problems: string[]): void {
  const byTarget = new Map(good.map((g) => [g.target, g]));
  const subjectDigest = new Map<string, string>();
  for (const g of good) for (const s of g.p.statement.subject) subjectDigest.set(`${g.target}\0${s.name}`, s.digest?.['sha256'] ?? '');
  for (const g of good) {
    const deps: ResourceDescriptor[] = g.p.statement.predicate?.buildDefinition?.resolvedDependencies ?? [];
    for (const [j, d] of deps.entries()) {
      const field = `predicate.buildDefinition.resolvedDependencies[${j}]`;
      const producer = d.annotations?.['producer'];
      if (typeof producer !== 'string') continue;
      const prod = byTarget.get(producer);
      if (d.name?.startsWith('provenance:')) {
        if (!prod) problems.push(`bundle line ${g.line} (${g.target}): ${field} cites the provenance of ${producer}, which is not in the bundle (or did not verify)`);
        else if (prod.p.digest !== d.digest?.['sha256']) problems.push(`bundle line ${g.line} (${g.target}): ${field}.digest.sha256 ${short(d.digest?.['sha256'])} ≠ sha256 ${short(prod.p.digest)} of ${producer}'s envelope (line ${prod.line})`);
      } else if (d.name?.startsWith('@') && prod) {
        const want = subjectDigest.get(`${producer}\0${d.name.slice(1)}`);
        if (want !== undefined && want !== d.digest?.['sha256']) problems.push(`bundle line ${g.line} (${g.target}): ${field} (${d.name}) digest ${short(d.digest?.['sha256'])} ≠ ${producer}'s subject ${short(want)}`);
      }
    }
  }
}

/** Compares the directory (or file) with the signed output it matches best, file by file. */
async function checkDirectory(path: string, good: {p: Provenance; target: string}[], problems: string[]): Promise<VerifyReport['matched']> {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    problems.push(`${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
  const outputs = good.flatMap((g) => g.p.statement.subject.filter((s) => s.annotations?.['output'] === true).map((s) => ({s, g})));
  if (!isDir) {
    const h = await hashFile(path);
    const hit = outputs.find((o) => o.s.digest?.['sha256'] === h.digest) ?? outputs.find((o) => basename(o.s.name ?? '') === basename(path));
    if (!hit) problems.push(`${path}: no signed output has its digest ${short(h.digest)} or its name`);
    else if (hit.s.digest?.['sha256'] !== h.digest) problems.push(`${path}: sha256 ${short(h.digest)} ≠ signed ${short(hit.s.digest?.['sha256'])} (subject ${hit.s.name} of ${hit.g.target})`);
    return hit ? {subject: hit.s.name ?? '', target: hit.g.target, files: 1} : undefined;
  }
  const files = scanTree(path);
  const hashed = await hashFiles(files.map((f) => f.abs));
  const onDisk = new Map<string, TreeEntry>(files.map((f) => [f.rel, {path: f.rel, digest: hashed.get(f.abs)!.digest, size: hashed.get(f.abs)!.size, executable: isExecutable(f.stat.mode)}]));
  const manifest = hashBytes(canonicalManifestJson(makeManifest([...onDisk.values()])));
  // The output this directory is: same manifest digest, else the one sharing the most file names.
  const dirs = outputs.filter((o) => o.s.annotations?.['kind'] === 'dir');
  const filesOf = (o: (typeof dirs)[number]) => new Map(o.g.p.statement.subject.filter((x) => x.name?.startsWith(`${o.s.name}/`)).map((x) => [x.name!.slice(o.s.name!.length + 1), x]));
  let best = dirs.find((o) => o.s.digest?.['sha256'] === manifest);
  if (!best) {
    let score = 0;
    for (const o of dirs) {
      const n = [...filesOf(o).keys()].filter((k) => onDisk.has(k)).length + (basename(o.s.name ?? '') === basename(path) ? 0.5 : 0);
      if (n > score) [best, score] = [o, n];
    }
  }
  if (!best) {
    problems.push(`${path}: matches no signed directory output in the bundle`);
    return undefined;
  }
  const signed = filesOf(best);
  const where = `(${best.s.name} of ${best.g.target})`;
  if (best.s.digest?.['sha256'] !== manifest) {
    const before = problems.length;
    if (!signed.size) problems.push(`${path}: directory digest ${short(manifest)} ≠ signed ${short(best.s.digest?.['sha256'])} ${where}; the bundle lists no per-file subjects for a directory this large`);
    for (const [rel, s] of signed) {
      const f = onDisk.get(rel);
      if (!f) problems.push(`${path}/${rel}: missing (signed in ${s.name})`);
      else if (f.digest !== s.digest?.['sha256']) problems.push(`${path}/${rel}: sha256 ${short(f.digest)} ≠ signed ${short(s.digest?.['sha256'])} ${where}`);
      else if (f.executable !== (s.annotations?.['executable'] === true)) problems.push(`${path}/${rel}: executable bit ${f.executable} ≠ signed ${!f.executable} ${where}`);
    }
    for (const rel of onDisk.keys()) if (!signed.has(rel)) problems.push(`${path}/${rel}: not in the signed output ${where}`);
    if (problems.length === before) problems.push(`${path}: directory digest ${short(manifest)} ≠ signed ${short(best.s.digest?.['sha256'])} ${where}`);
  }
  return {subject: best.s.name ?? '', target: best.g.target, files: onDisk.size};
}
