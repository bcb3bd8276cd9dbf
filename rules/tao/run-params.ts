/**
 * What the train, evaluate and inference rules share: their params (the user's part of the
 * experiment spec, the dataset view, docker options), the validation of the spec they will run
 * with — reported at analysis time with `spec.<path>` — and the complete spec (experiment-spec.ts).
 */
import {basename} from 'node:path';
import {z} from '../../src/index.ts';
import {experimentSchema, type Experiment, type ExperimentInput} from '../../schemas/tao/experiment.ts';
import {specProblems} from '../../schemas/tao/spec-builder.ts';
import type {ExperimentAction} from '../../schemas/tao/requirements.ts';
import {dockerParams, IN_CONTAINER} from './docker.ts';
import {experimentFor} from './experiment-spec.ts';

export const runParams = {
  ...dockerParams,
  /** The KITTI root on the host (absolute, or workspace-relative). */
  kittiRoot: z.string().min(1),
  /** Workspace dir of the convert node's outputs. */
  convertDir: z.string().min(1),
  prefix: z.string().regex(/^\w+$/).default('kitti_person'),
  /** Workspace path of this action's generated spec (a `tao/spec` output). */
  specFile: z.string().min(1),
  /** Workspace dir this action's outputs go to (TAO's `<results_dir>/<action>`). */
  outDir: z.string().min(1),
  /** The user's part of the experiment spec; identical for train, evaluate and inference. */
  spec: z.record(z.string(), z.unknown()).default({}),
};

interface RunParamsOut {
  prefix: string;
  spec: Record<string, unknown>;
}

/** In-container path a host checkpoint is mounted at. */
export const checkpointInContainer = (hostPath: string) => `${IN_CONTAINER.checkpoints}/${basename(hostPath)}`;

/** The complete spec input of `action` for these params. */
export function wiredSpec(action: ExperimentAction, p: RunParamsOut, gpus: number, checkpoint: string | undefined) {
  return experimentFor(p.spec as ExperimentInput, {action, prefix: p.prefix, gpus, checkpoint: checkpoint === undefined ? null : checkpointInContainer(checkpoint)});
}

/** A superRefine adding every problem of the wired spec under `spec.…`. */
export function refineSpec(action: ExperimentAction, gpus: (p: never) => number, checkpoint: (p: never) => string | undefined) {
  return (p: RunParamsOut, ctx: z.RefinementCtx) => {
    const {spec, problems} = wiredSpec(action, p, gpus(p as never), checkpoint(p as never));
    for (const pr of [...problems, ...specProblems(action, spec)]) ctx.addIssue({code: 'custom', path: ['spec', ...pr.path], message: pr.message});
  };
}

/** The parsed complete spec (params were validated, so it parses). */
export function resolvedSpec(action: ExperimentAction, p: RunParamsOut, gpus: number, checkpoint: string | undefined): Experiment {
  return experimentSchema.parse(wiredSpec(action, p, gpus, checkpoint).spec);
}
