/**
 * Rules for NVIDIA TAO Toolkit 5.5 BEVFusion (`bevfusion convert|train|evaluate|inference` in the
 * `tao-toolkit:5.5.0-pyt` container; reference tao-bevfusion-5.5.md), one file per subtask, and
 * `taoBevfusionChain` declaring the whole KITTI chain.
 */
export {taoBevfusionChain, type TaoChainOptions} from './chain.ts';
export {taoConvert, convertSpec} from './convert.ts';
export {taoTrain, trainCheckpoint} from './train.ts';
export {taoEvaluate} from './evaluate.ts';
export {taoInference} from './inference.ts';
export {taoSpecFile} from './spec-file.ts';
export {decideVerdict, parseStatusLines, type Verdict} from './status.ts';
export {buildSpec, TAO_IMAGE} from '../../schemas/tao/spec-builder.ts';
