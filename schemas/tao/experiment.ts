/**
 * The TAO 5.5 BEVFusion `ExperimentConfig` (reference §1.2, §1.5; S1 `config/default_config.py`,
 * `core/common_config.py`): the spec of `bevfusion train|evaluate|inference -e spec.yaml`. Every
 * section is closed as in the container, so the 6.x-only keys (`model_name`, `wandb.group`,
 * `wandb.run_id`, `train.checkpoint_interval_unit`, `evaluate/inference.trt_engine|batch_size`)
 * are rejected here, before a GPU is spent, with the path of the key.
 *
 * Deliberately absent: `input_modality`. 5.5 declares it `Dict[str,str]`, so `use_camera: false`
 * becomes the truthy string 'False' and silently still builds the fusion model (§1.1): a knob that
 * cannot work is not offered.
 */
import {z} from 'zod';
import {datasetSchema} from './dataset.ts';
import {modelSchema} from './model.ts';
import {bool, dataclass, dict, float, ints, optStr, posInt, str} from './shared.ts';

const gpuFields = {
  num_gpus: posInt(1),
  /** Container-relative after `docker run --gpus device=…` (§2.3). */
  gpu_ids: ints([0]),
  num_nodes: posInt(1),
};

/**
 * `checkpoint: str = MISSING` (§1.6): *every* spec needs both `evaluate.checkpoint` and
 * `inference.checkpoint` as strings — the non-running action's is the stub `''` — because
 * `OmegaConf.to_object` raises MissingMandatoryValue otherwise and `null` fails the `str` type.
 */
const checkpoint = z.string({error: 'a string: the .pth path for the running action, "" for the others (reference §1.6)'}).default('');

export const trainSchema = dataclass({
  ...gpuFields,
  seed: z.number().int().default(1234),
  cudnn: dataclass({benchmark: bool(false), deterministic: bool(true)}),
  num_epochs: posInt(10),
  checkpoint_interval: posInt(1),
  validation_interval: posInt(1),
  /** 5.5: becomes mmengine `load_from` — the fine-tune PTM or the exact resume path; `null`, never `''` (§1.6). */
  resume_training_checkpoint_path: optStr(),
  results_dir: optStr(),
  by_epoch: bool(true),
  logging_interval: posInt(1),
  resume: bool(false),
  /** Declared but never read by 5.5 (§1.6); kept `null`. */
  pretrained_checkpoint: optStr(),
  optimizer: dataclass({
    type: str('AdamW'),
    lr: z.number().positive().default(0.0002),
    weight_decay: z.number().positive().default(0.01),
    betas: z.array(z.number()).default([0.9, 0.999]),
    /** `Dict[str,int]`: `max_norm: 10.5` fails in 5.5 (§1.1). */
    clip_grad: z.record(z.string(), z.number().int()).default({max_norm: 35, norm_type: 2}),
    wrapper_type: z.enum(['OptimWrapper', 'AmpOptimWrapper']).default('OptimWrapper'),
  }),
  /** Replaced wholesale on override; tuned for 10 epochs (§7 item 17). */
  lr_scheduler: z.array(z.record(z.string(), z.unknown())).default([
    {type: 'LinearLR', start_factor: 0.33333333, by_epoch: false, begin: 0, end: 500},
    {type: 'CosineAnnealingLR', T_max: 10, eta_min_ratio: 0.0001, begin: 0, end: 10, by_epoch: true},
    {type: 'CosineAnnealingMomentum', eta_min: 0.8947, begin: 0, end: 2.4, by_epoch: true},
    {type: 'CosineAnnealingMomentum', eta_min: 1, begin: 2.4, end: 10, by_epoch: true},
  ]),
});

export const evaluateSchema = dataclass({...gpuFields, checkpoint, results_dir: optStr()});

export const inferenceSchema = dataclass({
  ...gpuFields,
  checkpoint,
  results_dir: optStr(),
  conf_threshold: float(0.5),
  /** An open3d window: keep false in containers. */
  show: bool(false),
});

const wandbSchema = dataclass({
  enable: bool(true),
  project: str('TAO Toolkit'),
  entity: z.string().nullable().default(''),
  tags: z.array(z.string()).default(['training', 'tao-toolkit']),
  reinit: bool(false),
  sync_tensorboard: bool(false),
  save_code: bool(false),
  name: str('TAO Toolkit training experiment'),
});

export const experimentSchema = dataclass({
  results_dir: str('/results'),
  encryption_key: optStr(),
  wandb: wandbSchema,
  default_scope: str('mmdet3d'),
  default_hooks: dict({
    timer: {type: 'IterTimerHook'},
    logger: {type: 'LoggerHook', interval: 1, log_metric_by_epoch: true},
    param_scheduler: {type: 'ParamSchedulerHook'},
    checkpoint: {type: 'CheckpointHook', by_epoch: true, interval: 1},
    sampler_seed: {type: 'DistSamplerSeedHook'},
    visualization: {type: 'Det3DVisualizationHook'},
  }),
  logger_hook: z.string().nullable().default('TAOBEVFusionLoggerHook'),
  manual_seed: z.number().int().nullable().default(null),
  model: modelSchema,
  dataset: datasetSchema,
  train: trainSchema,
  evaluate: evaluateSchema,
  inference: inferenceSchema,
});

/** What users write (every field optional). */
export type ExperimentInput = z.input<typeof experimentSchema>;
/** The complete spec as emitted (every field present). */
export type Experiment = z.output<typeof experimentSchema>;
