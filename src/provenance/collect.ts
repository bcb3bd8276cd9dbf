/**
 * Writes the provenance of an action at build time: gathers the facts (toolchain fingerprint, git
 * state of the inputs' repos, producers' provenance digests, the validation verdict), builds the
 * SLSA statement, wraps it in a DSSE envelope (signed when a writer key is configured) and stores
 * the envelope as a content-addressed object that the action record references. Only nodes that
 * run pay for this, once; fresh and restored nodes keep the provenance they were recorded with.
 */
import {existsSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {hostname} from 'node:os';
import {dirname, join, relative, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {hashBytes} from '../../cache/digest.ts';
import type {OutputEntry} from '../../cache/store-types.ts';
import {readManifestFileSync} from '../../cache/records.ts';
import type {TreeEntry} from '../../cache/tree.ts';
import type {KeyRecord} from '../engine/action-key.ts';
import {canonicalJson} from '../engine/canonical-json.ts';
import type {EngineContext} from '../engine/engine-context.ts';
import {inputPath} from '../engine/input-names.ts';
import type {GraphNode} from '../graph/graph.ts';
import {IN_TOTO_PAYLOAD_TYPE, makeEnvelope} from './dsse.ts';
import {gitFacts} from './git.ts';
import {buildStatement, MAX_FILE_SUBJECTS, type ProvenanceFacts} from './statement.ts';

/** bevbuild's own checkout (tool scripts of the rules live here; key records call it `$BEVBUILD`). */
const BEVBUILD_ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
let builderVersion: string | undefined;

/** A reference from an action record to its provenance envelope object. */
export interface ProvenanceRef {
  digest: string;
  size: number;
}

/** What ran, as the engine knows it right after the outputs were stored. */
export interface ProvenanceRun {
  node: GraphNode;
  key: string;
  keyRecord: KeyRecord;
  outputs: OutputEntry[];
  runId: string;
  startedOn: Date;
  finishedOn: Date;
  externalId?: string | undefined;
  /** A scratch directory of the run (the envelope is staged there, then moved into the store). */
  scratch: string;
}

/** Whether provenance is written (`BEVBUILD_PROVENANCE=off` turns it off, e.g. to measure its cost). */
export const provenanceEnabled = () => process.env['BEVBUILD_PROVENANCE'] !== 'off';

/** Builds, signs (with `signingKey`) and stores the provenance of a run; returns the object reference. */
export async function recordProvenance(ctx: EngineContext, run: ProvenanceRun): Promise<ProvenanceRef> {
  const t0 = performance.now();
  const statement = buildStatement(await gatherFacts(ctx, run));
  const envelope = makeEnvelope(Buffer.from(JSON.stringify(statement)), IN_TOTO_PAYLOAD_TYPE, ctx.signingKey);
  // One line of compact JSON: bundles are these exact bytes, one per line, so digests match.
  const file = join(run.scratch, `provenance-${run.runId}.json`);
  writeFileSync(file, JSON.stringify(envelope));
  const ref = await ctx.store.putFile(file, {move: true});
  spent.ms += performance.now() - t0;
  spent.nodes++;
  return ref;
}

/** Time spent writing provenance in this process (`BEVBUILD_TIMING=1` prints it at exit; bench/provenance.ts reads it). */
const spent = {ms: 0, nodes: 0};
if (process.env['BEVBUILD_TIMING'] === '1') {
  process.once('exit', () => {
    if (spent.nodes) process.stderr.write(`[timing] provenance written for ${spent.nodes} node(s) in ${spent.ms.toFixed(1)} ms\n`);
  });
}

async function gatherFacts(ctx: EngineContext, run: ProvenanceRun): Promise<ProvenanceFacts> {
  const {graph} = ctx;
  const {node, keyRecord} = run;
  const inputs: ProvenanceFacts['inputs'] = [];
  let toolchainKeyed: {name: string; digest: string} | undefined;
  const sourcePaths: string[] = [];
  for (const [name, digest] of Object.entries(keyRecord.inputs).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (name.startsWith('@toolchain')) {
      toolchainKeyed = {name, digest};
      continue;
    }
    if (name.startsWith('@')) {
      // Keyed by meaning (a semantic digest): the dependency names the bytes consumed, the key's digest beside them.
      const bytes = keyRecord.bytes?.[name];
      inputs.push({name, digest: bytes ?? digest, producer: producerOf(ctx, name), ...(bytes ? {semantic: digest} : {})});
      continue;
    }
    inputs.push({name, digest});
    if (!name.startsWith('glob:')) sourcePaths.push(name.startsWith('$BEVBUILD') ? BEVBUILD_ROOT + name.slice('$BEVBUILD'.length) : resolve(graph.root, name));
  }
  const [git, toolchain, producers] = await Promise.all([
    gitFacts(sourcePaths, ctx.state), // one git status per repo per build
    node.toolchain ? toolchainFacts(ctx, node.toolchain) : undefined,
    producerProvenance(ctx, node),
  ]);
  return {
    nodeId: node.id,
    key: run.key,
    keyRecord,
    outputs: run.outputs,
    dirFiles: dirFiles(ctx, run.outputs),
    inputs,
    toolchain: toolchain && node.toolchain ? {id: node.toolchain, keyed: toolchainKeyed ?? {name: '@toolchain', digest: 'missing'}, ...toolchain} : undefined,
    git: git.map((g) => ({repo: portablePath(graph.root, g.root), commit: g.commit, dirty: g.dirty, uri: g.uri, paths: g.paths.map((p) => portablePath(graph.root, p))})),
    producers,
    run: {executor: node.executor, host: hostname(), externalId: run.externalId, runId: run.runId, startedOn: run.startedOn, finishedOn: run.finishedOn},
    verdict: verdictOf(graph.root, run.outputs),
    builderVersion: (builderVersion ??= (JSON.parse(readFileSync(join(BEVBUILD_ROOT, 'package.json'), 'utf8')) as {version: string}).version),
  };
}

/** The node that declared the output an `@…` input name refers to (key names are declared output paths). */
function producerOf(ctx: EngineContext, name: string): string | undefined {
  const ip = inputPath(ctx.graph, name);
  return ip ? ctx.graph.outputOwner.get(ip.path) : undefined;
}

/** A path as provenance names it: workspace-relative, `$BEVBUILD/…`, else as given. */
export function portablePath(root: string, abs: string): string {
  if (abs === root || abs.startsWith(`${root}/`)) return relative(root, abs) || '.';
  if (abs === BEVBUILD_ROOT || abs.startsWith(`${BEVBUILD_ROOT}/`)) return `$BEVBUILD${abs.slice(BEVBUILD_ROOT.length)}`;
  return abs;
}

/** Files of small directory outputs, from their manifests in the store (just written by this run). */
function dirFiles(ctx: EngineContext, outputs: OutputEntry[]): Map<string, TreeEntry[]> {
  const out = new Map<string, TreeEntry[]>();
  for (const o of outputs) {
    if (o.kind !== 'dir') continue;
    const p = ctx.store.objectPath(o.digest);
    try {
      if (statSync(p).size > MAX_FILE_SUBJECTS * 200) continue; // a dataset-sized dir: its manifest digest is the subject
    } catch {
      continue; // no manifest object (should not happen for a stored dir): the dir subject alone
    }
    const m = readManifestFileSync(p);
    if (m.ok) out.set(o.path, m.value.entries);
  }
  return out;
}

/** Provenance envelope digests of the nodes this one consumed (their current action records). */
async function producerProvenance(ctx: EngineContext, node: GraphNode): Promise<ProvenanceFacts['producers']> {
  const ids = node.deps.filter((d) => d !== node.toolchain).sort();
  return Promise.all(
    ids.map(async (id) => {
      const key = ctx.state.get(id)?.key;
      const rec = key ? await ctx.store.readRecord(key) : undefined;
      return {id, provenance: rec?.ok ? rec.value?.provenance : undefined};
    }),
  );
}

const toolchainCache = new Map<string, Promise<{outputs: OutputEntry[]; fingerprint: Record<string, unknown>} | undefined>>();

/** Forgets the toolchain facts gathered so far: the daemon calls it after each command. */
export function forgetToolchainFacts(): void {
  toolchainCache.clear();
}

/**
 * What a toolchain is, from its fingerprint markers: the interpreter, a digest of the installed
 * distributions (and the OpenVINO version), and — where the env holds OpenVINO's libraries — their
 * digests (through the stat memo: hashed once per machine, not per node).
 */
function toolchainFacts(ctx: EngineContext, id: string) {
  const outputs = ctx.state.get(id)?.outputs ?? [];
  const cacheKey = `${id}\0${outputs.map((o) => o.digest).join(',')}`; // a rebuilt env (watch mode) is looked at again
  let p = toolchainCache.get(cacheKey);
  if (!p) {
    p = (async () => {
      const fingerprint: Record<string, unknown> = {};
      for (const o of outputs) {
        if (o.kind !== 'file' || !o.path.endsWith('.json')) continue;
        let m: Record<string, unknown>;
        try {
          m = JSON.parse(readFileSync(resolve(ctx.graph.root, o.path), 'utf8')) as Record<string, unknown>;
        } catch {
          continue;
        }
        if (typeof m['python'] === 'string') fingerprint['interpreter'] = `python ${m['python']}`;
        const pkgs = m['packages'] as Record<string, string> | undefined;
        if (pkgs && typeof pkgs === 'object') {
          fingerprint['distributions'] = Object.keys(pkgs).length;
          fingerprint['distributionsDigest'] = hashBytes(canonicalJson(pkgs));
          if (pkgs['openvino']) fingerprint['openvino'] = pkgs['openvino'];
        }
        const files = m['files'] as Record<string, string> | undefined;
        if (files && typeof files === 'object') fingerprint['filesDigest'] = hashBytes(canonicalJson(files));
        if (typeof m['image'] === 'string') fingerprint['image'] = m['image'];
      }
      const tc = ctx.graph.nodes.get(id);
      const python = tc?.rule.providesPython?.(tc.params, ctx.graph.root);
      if (python && fingerprint['openvino']) {
        const libs = openvinoLibs(dirname(dirname(python)));
        if (libs.length) {
          const d = await ctx.memo.digestPaths(libs);
          fingerprint['openvinoLibraries'] = Object.fromEntries(libs.map((l) => [l.slice(l.lastIndexOf('/') + 1), d.get(l)?.kind === 'file' ? (d.get(l) as {digest: string}).digest : 'missing']));
        }
      }
      return {outputs, fingerprint};
    })();
    toolchainCache.set(cacheKey, p);
  }
  return p;
}

/** `libopenvino*` of the `openvino` wheel in a venv (lib/python3.X/site-packages/openvino/libs). */
function openvinoLibs(venv: string): string[] {
  try {
    for (const py of readdirSync(join(venv, 'lib'))) {
      const dir = join(venv, 'lib', py, 'site-packages', 'openvino', 'libs');
      if (existsSync(dir)) return readdirSync(dir).filter((f) => f.startsWith('libopenvino')).sort().map((f) => join(dir, f));
    }
  } catch {
    // not a venv layout we know: no library digests
  }
  return [];
}

/** The gate's verdict when the node wrote a `validation.json` with a boolean `pass`. */
function verdictOf(root: string, outputs: OutputEntry[]): ProvenanceFacts['verdict'] {
  for (const o of outputs) {
    if (o.kind !== 'file' || !o.path.endsWith('validation.json')) continue;
    try {
      const v = JSON.parse(readFileSync(resolve(root, o.path), 'utf8')) as Record<string, unknown>;
      if (typeof v['pass'] !== 'boolean') continue;
      const pick = ['pass', 'reasons', 'totals', 'criteria', 'margins', 'openvinoVersion', 'device', 'pipeline'];
      return {path: o.path, digest: o.digest, verdict: Object.fromEntries(pick.filter((k) => v[k] !== undefined).map((k) => [k, v[k]]))};
    } catch {
      // not JSON: no verdict byproduct
    }
  }
  return undefined;
}
