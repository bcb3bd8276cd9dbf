/**
 * The shape of `bevbuild.config.ts`. `defineConfig` only records the call site and returns its
 * argument: validation happens in the analyzer so that every problem is reported at once.
 */
import type {CallSite} from './call-site.ts';
import {lazyCallSite} from './call-site.ts';
import type {ArtifactDecl} from './define-rule.ts';
import type {ProvenanceConfig} from '../provenance/keys.ts';
import type {SlurmConfig} from '../executors/slurm-config.ts';

export interface RemoteConfig {
  /** Base URL of a Bazel-HTTP-cache server (`/cas/<sha256>`, `/ac/<key>`). */
  url: string;
  /** Upload results (meant for trusted CI). Default false: read-only. */
  upload?: boolean;
  /** `minimal`: fetch only what the requested targets need; `all`: every output of every node. */
  download?: 'minimal' | 'all';
  timeoutMs?: number;
}

export interface ConfigSpec {
  /** Artifact id → declaration; or a list of `[id, declaration]` pairs (duplicates are reported). */
  artifacts: Record<string, ArtifactDecl> | Array<[string, ArtifactDecl]>;
  /** Resource pools. `gpu` lists concrete device ids handed out through CUDA_VISIBLE_DEVICES. */
  pools?: {cpu?: number; gpu?: string[]};
  /** Extra environment variables passed through to tools (not keyed). PATH, HOME, LANG… always pass. */
  envPassthrough?: string[];
  /** Provenance signing and trust (README "Provenance"): the writer key file, trusted public keys. */
  provenance?: ProvenanceConfig;
  remote?: RemoteConfig;
  /** `'copy'`: every output is placed as a writable copy, whatever its rule says (see `RuleSpec.materialize`). */
  materialize?: 'link' | 'copy';
  /** SLURM settings outside the action key (time limit, partition, CPUs…): `defaults`, and per node-id glob (README "SLURM"). */
  slurm?: SlurmConfig;
}

export interface LoadedConfigSpec extends ConfigSpec {
  readonly site: CallSite | undefined;
}

/** Declares a workspace. */
export function defineConfig(spec: ConfigSpec): LoadedConfigSpec {
  const site = lazyCallSite();
  return Object.defineProperty({...spec}, 'site', {get: site, enumerable: true}) as LoadedConfigSpec;
}
