/**
 * Comparing a rerun's outputs with the recorded ones (`audit --rebuild`): byte for byte first;
 * where bytes differ, by meaning (cache/semantic/) for outputs of a kind with a semantic digest,
 * naming the first differing file and field or tensor. A node is reproducible when every output
 * is byte-identical, or when its rule declares itself `nondeterministic` and every differing
 * output it declared `semantic` means the same.
 */
import {closeSync, openSync, readFileSync, readSync} from 'node:fs';
import {extname} from 'node:path';
import type {LocalStore} from '../../cache/local-store.ts';
import type {SemanticKind} from '../../cache/semantic/kinds.ts';
import {binTensorAt} from '../../cache/semantic/openvino-ir.ts';
import {kindApplies, semanticDifference} from '../../cache/semantic/semantic-digest.ts';
import type {OutputEntry} from '../../cache/store-types.ts';
import {readManifestFileSync} from '../../cache/records.ts';
import type {KeyRecord} from '../engine/action-key.ts';
import {canonicalJson} from '../engine/canonical-json.ts';
import {semanticKinds} from '../engine/semantic-outputs.ts';
import type {GraphNode} from '../graph/graph.ts';

export interface FileVerdict {
  /** Workspace path of the output (a file of a directory output: `<dir>/<file>`). */
  path: string;
  status: 'identical' | 'semantic-equal' | 'different' | 'missing' | 'extra';
  detail?: string;
}

export type NodeStatus = 'reproducible' | 'reproducible-semantically' | 'not-reproducible' | 'inputs-changed';

export interface NodeVerdict {
  status: NodeStatus;
  files: FileVerdict[];
  hint?: string;
}

const KIND_BY_EXT: Record<string, SemanticKind> = {'.onnx': 'onnx', '.xml': 'openvino-ir', '.pth': 'checkpoint', '.pt': 'checkpoint', '.ckpt': 'checkpoint'};

/** Compares one rerun node's outputs. `recordedStore` holds the recorded objects, `rebuiltStore` the rerun's. */
export function compareOutputs(node: GraphNode, recorded: OutputEntry[], rebuilt: OutputEntry[], recordedStore: LocalStore, rebuiltStore: LocalStore): NodeVerdict {
  const declared = semanticKinds(node);
  const files: FileVerdict[] = [];
  let semanticOnlyDeclared = true; // every semantic-equal difference is in an output the rule declared
  for (const o of recorded) {
    const r = rebuilt.find((x) => x.path === o.path);
    if (!r) {
      files.push({path: o.path, status: 'missing', detail: 'the rerun did not produce it'});
      continue;
    }
    if (r.digest === o.digest) {
      files.push({path: o.path, status: 'identical'});
      continue;
    }
    const dk = declared.get(o.path);
    // The rule's kind where it applies (a directory's files by extension), else a guess from the extension.
    const declaredFor = (file: string) => dk !== undefined && (o.kind === 'file' || kindApplies(dk, file));
    const kindOf = (file: string): SemanticKind | undefined => (declaredFor(file) ? dk : KIND_BY_EXT[extname(file)]);
    const pairs: {path: string; a: string | undefined; b: string | undefined}[] = [];
    if (o.kind === 'dir' && r.kind === 'dir') {
      const ma = manifest(recordedStore, o.digest);
      const mb = manifest(rebuiltStore, r.digest);
      const names = [...new Set([...ma.keys(), ...mb.keys()])].sort();
      for (const n of names) if (ma.get(n) !== mb.get(n)) pairs.push({path: `${o.path}/${n}`, a: ma.get(n), b: mb.get(n)});
    } else pairs.push({path: o.path, a: o.kind === 'file' ? o.digest : undefined, b: r.kind === 'file' ? r.digest : undefined});
    const siblings = recorded.filter((x) => x.kind === 'file');
    for (const p of pairs) {
      if (!p.a || !p.b) {
        files.push({path: p.path, status: p.a ? 'missing' : 'extra', detail: p.a ? 'the rerun did not produce it' : 'only the rerun produced it'});
        continue;
      }
      const fa = recordedStore.objectPath(p.a);
      const fb = rebuiltStore.objectPath(p.b);
      const offset = firstDifferingByte(fa, fb);
      const kind = kindOf(p.path);
      const isDeclared = declaredFor(p.path);
      const at = `bytes differ from offset ${offset}`;
      if (kind) {
        const d = semanticDifference(kind, fa, fb);
        if (d.ok && d.value === undefined) {
          files.push({path: p.path, status: 'semantic-equal', detail: `${at}; semantically equal as ${kind}${isDeclared ? '' : ' (kind guessed from the extension; not declared by the rule)'}`});
          if (!isDeclared) semanticOnlyDeclared = false;
          continue;
        }
        files.push({path: p.path, status: 'different', detail: d.ok ? `${at}; first semantic difference (${kind}): ${d.value}` : `${at}; ${d.error.message}`});
        continue;
      }
      // The weights of an IR: name the constant that holds the first differing byte.
      const xml = p.path.endsWith('.bin') ? siblings.find((s) => s.path === p.path.replace(/\.bin$/, '.xml')) : undefined;
      const tensor = xml && offset >= 0 ? binTensorAt(readFileSync(recordedStore.objectPath(xml.digest), 'utf8'), offset) : undefined;
      files.push({path: p.path, status: 'different', detail: `${at}${tensor ? ` (weights of constant "${tensor}")` : ''}`});
    }
  }
  const differing = files.filter((f) => f.status !== 'identical');
  if (!differing.length) return {status: 'reproducible', files};
  const onlySemantic = differing.every((f) => f.status === 'semantic-equal');
  if (onlySemantic && node.rule.nondeterministic && semanticOnlyDeclared) return {status: 'reproducible-semantically', files};
  const hint = onlySemantic
    ? `bytes differ but every difference means the same: if this is expected, declare \`nondeterministic: '<why>'\` and \`semantic\` kinds for these outputs on rule ${node.rule.name}`
    : undefined;
  return {status: 'not-reproducible', files, ...(hint ? {hint} : {})};
}

function manifest(store: LocalStore, digest: string): Map<string, string> {
  const m = readManifestFileSync(store.objectPath(digest));
  if (!m.ok) throw new Error(`the verified manifest ${digest} cannot be read: ${m.error.message}`); // objects were verified before
  return new Map(m.value.entries.map((e) => [e.path, e.digest]));
}

/** Offset of the first byte where two files differ (the shorter length if one is a prefix), -1 if equal. */
export function firstDifferingByte(a: string, b: string): number {
  const fa = openSync(a, 'r');
  const fb = openSync(b, 'r');
  try {
    const ba = Buffer.alloc(1 << 16);
    const bb = Buffer.alloc(1 << 16);
    for (let pos = 0; ; ) {
      const na = readSync(fa, ba, 0, ba.length, pos);
      const nb = readSync(fb, bb, 0, bb.length, pos);
      const n = Math.min(na, nb);
      for (let i = 0; i < n; i++) if (ba[i] !== bb[i]) return pos + i;
      if (na !== nb) return pos + n;
      if (na === 0) return -1;
      pos += n;
    }
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

/**
 * What the rerun read that the recorded build did not: source inputs (not other nodes' outputs,
 * which a rerun makes itself), params and declared env. Non-empty means the workspace changed
 * since that build, so differing outputs say nothing about reproducibility.
 */
export function inputDrift(recorded: KeyRecord | undefined, rerun: KeyRecord): string[] {
  if (!recorded) return ['no key record of the recorded build (built before this workspace kept them)'];
  const out: string[] = [];
  const names = [...new Set([...Object.keys(recorded.inputs), ...Object.keys(rerun.inputs)])].sort();
  for (const n of names) {
    if (n.startsWith('@') || recorded.inputs[n] === rerun.inputs[n]) continue;
    out.push(`${recorded.inputs[n] === undefined ? 'input-added' : rerun.inputs[n] === undefined ? 'input-removed' : 'input-changed'}: ${n}`);
  }
  if (canonicalJson(recorded.params ?? null) !== canonicalJson(rerun.params ?? null)) out.push('params-changed');
  if (canonicalJson(recorded.env) !== canonicalJson(rerun.env)) out.push('env-changed');
  return out;
}
