/**
 * Semantic digests (issue 11 item 6): a digest of what a model file *means*, so a file whose bytes
 * changed only in what does not change behaviour (producer version, doc strings, timestamps,
 * metadata order) keeps its semantic digest. A rule declares which of its outputs have one
 * (`semantic` in the rule spec); dependents key on it (early cutoff) and `audit --rebuild` compares
 * with it where bytes differ. A directory output's view holds every file: model files by their
 * semantic view, the others by their bytes.
 */
import {readFileSync, statSync} from 'node:fs';
import {extname} from 'node:path';
import {hashBytes, type Digest} from '../digest.ts';
import {scanTree} from '../tree.ts';
import {fail, ok, type Result} from '../../src/result.ts';
import {checkpointView} from './checkpoint.ts';
import {configDumpView} from './config-dump.ts';
import type {SemanticKind} from './kinds.ts';
import {onnxView} from './onnx.ts';
import {irView} from './openvino-ir.ts';
import {firstDifference, viewDigest, type View} from './view.ts';

export {SEMANTIC_KINDS, type SemanticKind} from './kinds.ts';


/** Which files of a directory output a kind applies to. */
const EXTENSIONS: Record<Exclude<SemanticKind, 'volatile'>, string[]> = {onnx: ['.onnx'], 'openvino-ir': ['.xml'], checkpoint: ['.pth', '.pt', '.ckpt', '.pkl'], 'config-dump': ['.yaml', '.yml', '.py', '.json']};

/** Whether a kind declared for an output applies to `file` (a directory output's files: by extension). */
export const kindApplies = (kind: SemanticKind, file: string): boolean => kind === 'volatile' || EXTENSIONS[kind].includes(extname(file));

/** Bumped when a view changes shape: old and new semantic digests must never compare equal by accident. */
const FORMAT = 1;

function fileView(kind: SemanticKind, abs: string): View {
  if (kind === 'volatile') return '(volatile)';
  const bytes = readFileSync(abs);
  switch (kind) {
    case 'onnx':
      return onnxView(bytes);
    case 'openvino-ir':
      return irView(bytes.toString('utf8'));
    case 'checkpoint':
      return checkpointView(bytes);
    case 'config-dump':
      return configDumpView(bytes.toString('utf8'));
  }
}

/** The semantic view of a file or directory output (directories: path → view, other files by bytes). */
export function semanticView(kind: SemanticKind, abs: string): Result<View> {
  try {
    if (!statSync(abs).isDirectory()) return ok(fileView(kind, abs));
    const out: Record<string, View> = {};
    for (const f of scanTree(abs)) {
      out[f.rel] = kindApplies(kind, f.rel) ? fileView(kind, f.abs) : hashBytes(readFileSync(f.abs));
    }
    return ok(out);
  } catch (e) {
    return fail('semantic-unreadable', `${abs}: cannot read it as ${kind} (${(e as Error).message}); its byte digest is used instead`);
  }
}

/** The semantic digest of an output, or a failure saying why the bytes must do. */
export function semanticDigest(kind: SemanticKind, abs: string): Result<Digest> {
  const v = semanticView(kind, abs);
  return v.ok ? ok(viewDigest(`${kind}/${FORMAT}`, v.value)) : v;
}

/** Where two outputs of a kind differ in meaning (`graph.initializer["w"].data`), undefined if they mean the same. */
export function semanticDifference(kind: SemanticKind, a: string, b: string): Result<string | undefined> {
  const va = semanticView(kind, a);
  if (!va.ok) return va;
  const vb = semanticView(kind, b);
  if (!vb.ok) return vb;
  return ok(firstDifference(va.value, vb.value));
}
