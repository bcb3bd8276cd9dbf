/**
 * The tail every (dataset, pipeline) shares: publish a *candidate* model dir, run the deploy binary
 * on it in INT8 and in FP16 with identical flags and samples, compare per-frame box counts, and
 * publish `deploy/data/<preset dir>/<pipeline>` only if they match — `deploy/<ds>/<pipeline>` is
 * gated on `validation.json` (the node fails otherwise, listing the frames).
 */
import {join} from 'node:path';
import type {ArtifactDecl} from '../../src/index.ts';
import {bevfusionRun} from '../../rules/deploy/bevfusion.ts';
import {bevfusionUnifiedRun} from '../../rules/deploy/bevfusion-unified.ts';
import {compareCounts} from '../../rules/deploy/compare-counts.ts';
import {PRESET_DIR, publishIntel} from '../../rules/intel/publish.ts';
import type {Dataset} from './datasets.ts';
import type {IntelSettings} from './settings.ts';

/** Sources of the publish set, per pipeline (see rules/intel/publish.ts). */
export type PublishSources =
  | {pipeline: 'pointpillars'; onnxDir: string; pfeV7000: string; quantizedDir: string}
  | {pipeline: 'second'; int8Xml: string; fp32Onnx: string};

export function validatedDeploy(s: IntelSettings, ds: Dataset, src: PublishSources, openvinoEnv: string): Record<string, ArtifactDecl> {
  const pipe = src.pipeline;
  const base = `${ds.key}/${pipe}`;
  const candidate = `stage/data/${PRESET_DIR[ds.preset]}/${pipe}`;
  const runDir = (prec: string) => `runs/${base}/${prec}`;
  const shared = {dataset: ds.deploySplit, preset: ds.preset, numSamples: s.deploySamples, env: openvinoEnv};
  const run = (precision: 'int8' | 'fp16'): ArtifactDecl =>
    pipe === 'pointpillars'
      ? bevfusionRun({...shared, binary: join(s.deploy, 'build/bevfusion'), precision, modelDir: candidate, outDir: runDir(precision)})
      : bevfusionUnifiedRun({
          ...shared,
          binary: join(s.deploy, 'build/bevfusion_unified'),
          precision,
          model: `${candidate}/${precision === 'int8' ? 'bevfusion_unified_int8.xml' : 'bevfusion_unified_fp16.onnx'}`,
          outDir: runDir(precision),
        });
  const validation = `validation/${base}.json`;
  return {
    [`candidate/${base}`]: publishIntel({...src, preset: ds.preset, outDir: candidate}),
    [`run/${base}/int8`]: run('int8'),
    [`run/${base}/fp16`]: run('fp16'),
    [`validate/${base}`]: compareCounts({int8Run: `${runDir('int8')}/run.json`, fp16Run: `${runDir('fp16')}/run.json`, output: validation}),
    [`deploy/${base}`]: publishIntel({...src, preset: ds.preset, outDir: `deploy/data/${PRESET_DIR[ds.preset]}/${pipe}`, gates: [validation]}),
  };
}
