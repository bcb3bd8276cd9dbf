/**
 * `model` of the TAO 5.5 BEVFusion experiment spec (reference §1.3, S1 `config/model.py`). Every
 * default is the 5.5 runtime default. The section must be identical across train, evaluate and
 * inference: checkpoints load with `strict=False`, so a mismatch only warns (§1.3) — the spec
 * builder therefore derives all three specs from one `model` value.
 */
import {z} from 'zod';
import {bool, dataclass, dict, float, floats, int, ints, oneOf, str} from './shared.ts';

const SWIN_T = 'https://github.com/SwinTransformer/storage/releases/download/v1.0.0/swin_tiny_patch4_window7_224.pth';

const dataPreprocessor = dataclass({
  type: str('Det3DDataPreprocessor'),
  mean: floats([123.675, 116.28, 103.53]),
  std: floats([58.395, 57.12, 57.375]),
  bgr_to_rgb: bool(false),
  pad_size_divisor: int(32),
  voxelize_cfg: dict({max_num_points: 10, max_voxels: [120000, 160000], voxelize_reduce: true}),
});

const imgBackbone = dataclass({
  type: str('mmdet.SwinTransformer'),
  embed_dims: int(96),
  depths: ints([2, 2, 6, 2]),
  num_heads: ints([3, 6, 12, 24]),
  window_size: int(7),
  mlp_ratio: int(4),
  qkv_bias: bool(true),
  qk_scale: z.string().nullable().default(null),
  drop_rate: float(0.0),
  attn_drop_rate: float(0.0),
  drop_path_rate: float(0.2),
  patch_norm: bool(true),
  out_indices: ints([1, 2, 3]),
  with_cp: bool(false),
  convert_weights: bool(true),
  /** Downloaded when training starts (§7 item 12): `null` (or a local file) for offline runs; `{}` does NOT clear it. */
  init_cfg: z.record(z.string(), z.unknown()).nullable().default({type: 'Pretrained', checkpoint: SWIN_T}),
});

const imgNeck = dataclass({
  type: str('GeneralizedLSSFPN'),
  in_channels: ints([192, 384, 768]),
  out_channels: int(256),
  start_level: int(0),
  num_outs: int(3),
  norm_cfg: dict({type: 'BN2d', requires_grad: true}),
  act_cfg: dict({type: 'ReLU', inplace: true}),
  upsample_cfg: dict({mode: 'bilinear', align_corners: false}),
});

const viewTransform = dataclass({
  type: oneOf(['DepthLSSTransform', 'LSSTransform'], 'DepthLSSTransform'),
  in_channels: int(256),
  out_channels: int(80),
  image_size: ints([256, 704]),
  feature_size: ints([32, 88]),
  xbound: floats([-54.0, 54.0, 0.3]),
  ybound: floats([-54.0, 54.0, 0.3]),
  zbound: floats([-10.0, 10.0, 20.0]),
  dbound: floats([1.0, 60.0, 0.5]),
  downsample: int(2),
});

const ptsBackbone = dataclass({
  type: str('SECOND'),
  in_channels: int(256),
  out_channels: ints([128, 256]),
  layer_nums: ints([5, 5]),
  layer_strides: ints([1, 2]),
  norm_cfg: dict({type: 'BN', eps: 0.001, momentum: 0.01}),
  conv_cfg: dict({type: 'Conv2d', bias: false}),
});

/** Nested int tuples, e.g. `((0,0,1),(0,0,(1,1,0)))`: 5.5 declares a bare `Tuple`. */
const nestedInts: z.ZodType<unknown[]> = z.array(z.union([z.number().int(), z.lazy(() => nestedInts)]));

const ptsMiddleEncoder = dataclass({
  type: str('BEVFusionSparseEncoder'),
  in_channels: int(4),
  sparse_shape: ints([1440, 1440, 41]),
  order: z.array(z.string()).default(['conv', 'norm', 'act']),
  norm_cfg: dict({type: 'BN1d', eps: 0.001, momentum: 0.01}),
  encoder_channels: nestedInts.default([[16, 16, 32], [32, 32, 64], [64, 64, 128], [128, 128]]),
  encoder_paddings: nestedInts.default([[0, 0, 1], [0, 0, 1], [0, 0, [1, 1, 0]], [0, 0]]),
  block_type: str('basicblock'),
});

const ptsNeck = dataclass({
  type: str('SECONDFPN'),
  in_channels: ints([128, 256]),
  out_channels: ints([256, 256]),
  upsample_strides: ints([1, 2]),
  norm_cfg: dict({type: 'BN', eps: 0.001, momentum: 0.01}),
  upsample_cfg: dict({type: 'deconv', bias: false}),
  use_conv_for_no_stride: bool(true),
});

const fusionLayer = dataclass({type: str('ConvFuser'), in_channels: ints([80, 256]), out_channels: int(256)});

const attn = dataclass({embed_dims: int(128), num_heads: int(8), dropout: float(0.1)});

const bboxHead = dataclass({
  type: oneOf(['BEVFusionHead'], 'BEVFusionHead'),
  num_proposals: int(200),
  auxiliary: bool(true),
  in_channels: int(512),
  hidden_channel: int(128),
  /** Must equal `len(dataset.classes)`, and 5.5 evaluation knows only `person` (§7 item 7). */
  num_classes: z.literal(1, {error: '5.5 BEVFusion evaluation only supports the single class "person" (reference §7 item 7)'}).default(1),
  nms_kernel_size: int(3),
  bn_momentum: float(0.1),
  num_decoder_layers: int(1),
  out_size_factor: int(8),
  bbox_coder: dataclass({type: oneOf(['TAO3DBBoxCoder'], 'TAO3DBBoxCoder'), score_threshold: float(0.0), code_size: int(12)}),
  decoder_layer: dataclass({
    type: str('TransformerDecoderLayer'),
    self_attn_cfg: attn,
    cross_attn_cfg: attn,
    ffn_cfg: dict({embed_dims: 128, feedforward_channels: 256, num_fcs: 2, ffn_drop: 0.1, act_cfg: {type: 'ReLU', inplace: true}}),
    norm_cfg: dict({type: 'LN'}),
    pos_encoding_cfg: dict({input_channel: 2, num_pos_feats: 128}),
  }),
  code_weights: floats(Array(12).fill(1.0)),
  nms_type: z.string().nullable().default(null),
  assigner: dict({
    type: 'HungarianAssigner3D',
    iou_calculator: {type: 'BboxOverlaps3D', coordinate: 'lidar'},
    cls_cost: {type: 'mmdet.FocalLossCost', gamma: 2.0, alpha: 0.25, weight: 0.15},
    reg_cost: {type: 'BBoxBEVL1Cost', weight: 0.25},
    iou_cost: {type: 'IoU3DCost', weight: 0.25},
  }),
  common_heads: z.record(z.string(), z.unknown()).nullable().default({center: [2, 2], height: [1, 2], dim: [3, 2], rot: [6, 2]}),
  loss_cls: z.record(z.string(), z.unknown()).nullable().default({type: 'mmdet.FocalLoss', use_sigmoid: true, gamma: 2.0, alpha: 0.25, reduction: 'mean', loss_weight: 1.0}),
  loss_heatmap: z.record(z.string(), z.unknown()).nullable().default({type: 'mmdet.GaussianFocalLoss', reduction: 'mean', loss_weight: 1.0}),
  loss_bbox: z.record(z.string(), z.unknown()).nullable().default({type: 'mmdet.L1Loss', reduction: 'mean', loss_weight: 0.25}),
});

/** `model` (§1.3). Optional dataclass fields (the camera branch) admit `null` as in 5.5. */
export const modelSchema = dataclass({
  type: oneOf(['BEVFusion'], 'BEVFusion'),
  point_cloud_range: floats([0, -40, -3, 70.4, 40, 1]),
  voxel_size: floats([0.05, 0.05, 0.1]),
  post_center_range: floats([-61.2, -61.2, -20.0, 61.2, 61.2, 20.0]),
  grid_size: ints([1440, 1440, 41]),
  data_preprocessor: dataPreprocessor,
  img_backbone: imgBackbone.nullable(),
  img_neck: imgNeck.nullable(),
  view_transform: viewTransform.nullable(),
  pts_backbone: ptsBackbone,
  pts_voxel_encoder: z.record(z.string(), z.unknown()).nullable().default({type: 'HardSimpleVFE', num_features: 4}),
  pts_middle_encoder: ptsMiddleEncoder,
  pts_neck: ptsNeck,
  fusion_layer: fusionLayer.nullable(),
  bbox_head: bboxHead,
});
