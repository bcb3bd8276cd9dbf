/**
 * The provenance of one action: an in-toto Statement v1 whose predicate is SLSA Provenance v1
 * (https://slsa.dev/spec/v1.0/provenance). Built from facts the engine already has; this module
 * only shapes them, so it is pure and cheap. Paths are workspace-relative, tool paths use the
 * action key's placeholders ($WS, $OUT, $BEVBUILD, $PYTHON(env)), so the statement names no machine path.
 */
import type {OutputEntry} from '../../cache/store-types.ts';
import type {TreeEntry} from '../../cache/tree.ts';
import type {KeyRecord} from '../engine/action-key.ts';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
/** What a bevbuild action is, as an SLSA build type (versioned: bump when the shape changes). */
export const BUILD_TYPE = 'https://bevbuild.dev/provenance/action/v1';
/** Builder ids name the executor that ran the tool. */
export const BUILDER_ID = (executor: string) => `https://bevbuild.dev/builder/${executor}`;
/** Directory outputs with at most this many files also get one subject per file (deploy dirs do). */
export const MAX_FILE_SUBJECTS = 2000;

/** in-toto ResourceDescriptor (the subset we write). */
export interface ResourceDescriptor {
  name?: string;
  uri?: string;
  digest?: Record<string, string>;
  mediaType?: string;
  annotations?: Record<string, unknown>;
}

export interface ProvenancePredicate {
  buildDefinition: {
    buildType: string;
    externalParameters: Record<string, unknown>;
    internalParameters: Record<string, unknown>;
    resolvedDependencies: ResourceDescriptor[];
  };
  runDetails: {
    builder: {id: string; version: Record<string, string>};
    metadata: {invocationId: string; startedOn: string; finishedOn: string};
    byproducts: ResourceDescriptor[];
  };
}

export interface Statement {
  _type: typeof STATEMENT_TYPE;
  subject: ResourceDescriptor[];
  predicateType: typeof SLSA_PROVENANCE_V1;
  predicate: ProvenancePredicate;
}

/** Everything a statement is made of (gathered by `collect.ts`). */
export interface ProvenanceFacts {
  nodeId: string;
  key: string;
  keyRecord: KeyRecord;
  outputs: OutputEntry[];
  /** Files of directory outputs (by output path), for per-file subjects. */
  dirFiles: Map<string, TreeEntry[]>;
  /** Every keyed input but the toolchain, by its key-record name; `producer`: the node that made it. */
  inputs: {name: string; digest: string | 'missing'; producer?: string | undefined; semantic?: string}[];
  /** The toolchain: its key-record entry, its outputs (fingerprint markers) and what they say. */
  toolchain?: {id: string; keyed: {name: string; digest: string}; outputs: OutputEntry[]; fingerprint: Record<string, unknown>} | undefined;
  git: {repo: string; commit: string; dirty: boolean; uri?: string | undefined; paths: string[]}[];
  /** Producer node id → digest of its provenance envelope (when it has one). */
  producers: {id: string; provenance: {digest: string; size: number} | undefined}[];
  run: {executor: string; host: string; externalId?: string | undefined; runId: string; startedOn: Date; finishedOn: Date};
  verdict?: {path: string; digest: string; verdict: Record<string, unknown>} | undefined;
  builderVersion: string;
}

/** The statement for one action. */
export function buildStatement(f: ProvenanceFacts): Statement {
  const k = f.keyRecord;
  const subject: ResourceDescriptor[] = [];
  for (const o of [...f.outputs].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const semantic = o.semantic ? {semanticDigest: o.semantic} : {}; // what dependents key on: signed too
    subject.push({name: o.path, digest: {sha256: o.digest}, annotations: {output: true, kind: o.kind, size: o.size, ...(o.executable ? {executable: true} : {}), ...semantic}});
    const files = f.dirFiles.get(o.path);
    if (o.kind === 'dir' && files && files.length <= MAX_FILE_SUBJECTS) {
      for (const e of files) subject.push({name: `${o.path}/${e.path}`, digest: {sha256: e.digest}, annotations: {size: e.size, ...(e.executable ? {executable: true} : {})}});
    }
  }
  const deps: ResourceDescriptor[] = [];
  if (f.toolchain) {
    const t = f.toolchain;
    deps.push({name: `toolchain:${t.id}`, annotations: {...t.fingerprint, keyed: t.keyed}});
    for (const o of t.outputs) deps.push({name: `@${o.path}`, digest: {sha256: o.digest}, annotations: {toolchain: t.id, kind: o.kind}});
  }
  for (const i of f.inputs) {
    const annotations = {...(i.producer ? {producer: i.producer} : {}), ...(i.semantic ? {semanticDigest: i.semantic} : {}), ...(i.digest === 'missing' ? {missing: true} : {})};
    deps.push({name: i.name, ...(i.digest === 'missing' ? {} : {digest: {sha256: i.digest}}), ...(Object.keys(annotations).length ? {annotations} : {})});
  }
  for (const g of f.git) {
    deps.push({name: `git:${g.repo}`, ...(g.uri ? {uri: g.uri} : {}), digest: {gitCommit: g.commit}, annotations: {dirty: g.dirty, inputs: g.paths}});
  }
  for (const p of f.producers) {
    if (p.provenance) deps.push({name: `provenance:${p.id}`, digest: {sha256: p.provenance.digest}, mediaType: 'application/vnd.dsse.envelope.v1+json', annotations: {producer: p.id, size: p.provenance.size}});
  }
  const byproducts: ResourceDescriptor[] = [
    {name: 'executor', annotations: {kind: f.run.executor, host: f.run.host, ...(f.run.externalId ? {jobId: f.run.externalId} : {})}},
  ];
  if (f.verdict) byproducts.push({name: 'validation', uri: f.verdict.path, digest: {sha256: f.verdict.digest}, mediaType: 'application/json', annotations: f.verdict.verdict});
  return {
    _type: STATEMENT_TYPE,
    subject,
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: BUILD_TYPE,
        externalParameters: {target: f.nodeId, rule: `${k.rule.name}@${k.rule.version}`, params: k.params, argv: k.argv, cwd: k.cwd || '.', env: k.env},
        internalParameters: {actionKey: f.key, keyFormat: k.format, platform: k.platform, outputs: k.outputs},
        resolvedDependencies: deps,
      },
      runDetails: {
        builder: {id: BUILDER_ID(f.run.executor), version: {bevbuild: f.builderVersion, node: process.version}},
        metadata: {invocationId: f.run.runId, startedOn: f.run.startedOn.toISOString(), finishedOn: f.run.finishedOn.toISOString()},
        byproducts,
      },
    },
  };
}

/** The outputs a statement declares (subjects marked `output`), for matching against a record. */
export function statementOutputs(s: Statement): {path: string; digest: string; kind: unknown; size: unknown; executable: boolean; semantic: unknown}[] {
  return s.subject
    .filter((x) => x.annotations?.['output'] === true)
    .map((x) => ({path: x.name ?? '', digest: x.digest?.['sha256'] ?? '', kind: x.annotations?.['kind'], size: x.annotations?.['size'], executable: x.annotations?.['executable'] === true, semantic: x.annotations?.['semanticDigest']}));
}

/** Parses a statement payload; checks the fields readers rely on (the rest is informational). */
export function parseStatement(payload: Buffer): Statement | string {
  let s: Statement;
  try {
    s = JSON.parse(payload.toString('utf8')) as Statement;
  } catch (e) {
    return `payload is not JSON: ${(e as Error).message}`;
  }
  if (!s || typeof s !== 'object') return 'payload is not a JSON object';
  if (s._type !== STATEMENT_TYPE) return `_type: expected ${STATEMENT_TYPE}, got ${JSON.stringify(s._type)}`;
  if (s.predicateType !== SLSA_PROVENANCE_V1) return `predicateType: expected ${SLSA_PROVENANCE_V1}, got ${JSON.stringify(s.predicateType)}`;
  if (!Array.isArray(s.subject) || !s.subject.every((x) => x && typeof x.name === 'string' && typeof x.digest?.['sha256'] === 'string')) return 'subject: expected [{name, digest: {sha256}}]';
  if (typeof s.predicate?.buildDefinition?.internalParameters?.['actionKey'] !== 'string') return 'predicate.buildDefinition.internalParameters.actionKey: missing';
  return s;
}

/** The target (node id) and action key a statement is about. */
export function statementNode(s: Statement): {target: string; key: string} {
  return {target: String(s.predicate.buildDefinition.externalParameters['target'] ?? ''), key: String(s.predicate.buildDefinition.internalParameters['actionKey'])};
}
