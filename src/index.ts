/**
 * The public API used by `bevbuild.config.ts` and rule files:
 *   import {defineConfig, defineRule, z} from 'bevbuild';
 * Every type a config's or rule's inferred type mentions is exported here, so a project compiled
 * with `declaration: true` can name it (no TS2742).
 */
export {defineConfig} from './config/define-config.ts';
export type {ConfigSpec, LoadedConfigSpec, RemoteConfig} from './config/define-config.ts';
export {defineRule} from './config/define-rule.ts';
export type {RuleSpec, Rule, DeclContext, RunContext, CheckContext, InputRef, Resources, ArtifactDecl, ToolchainPart} from './config/define-rule.ts';
export type {ResumeSpec, Checkpoint, CheckpointNaming} from './engine/resume.ts';
export {sweep, matrixPoints} from './config/sweep.ts';
export type {Sweep, SweepPoint, Matrix, PointParams, ParamValue} from './config/sweep.ts';
export {DEFAULT_EXECUTOR, EXECUTOR_NAMES, executorParam} from './executors/registry.ts';
export type {ExecutorName} from './executors/registry.ts';
export type {SlurmResources} from './executors/job.ts';
export type {SlurmConfig} from './executors/slurm-config.ts';
export {ok, fail} from './result.ts';
export type {Result, Failure} from './result.ts';
export {z} from 'zod';
