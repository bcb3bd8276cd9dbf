/**
 * Workspace for Intel's Intermediate Fusion repo (training + deploy), driven by environment
 * variables: INTEL_REPO, BEV_ENV, SPCONV_ENV, OPENVINO_ROOT, KITTI_RAW, DAIR_V2X_ROOT (see README).
 *   bevbuild -C examples/intel-intermediate-fusion deploy/kitti/second
 */
import {dirname} from 'node:path';
import {fileURLToPath} from 'node:url';
import {defineConfig} from '../../src/index.ts';
import {intelArtifacts} from './artifacts.ts';

export default defineConfig({
  artifacts: intelArtifacts(dirname(fileURLToPath(import.meta.url))),
});
