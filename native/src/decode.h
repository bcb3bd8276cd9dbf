// CenterHead decode + NMS matching the deploy post-processing (reference §6). Plain C++, no
// Node-API and no OpenVINO, so the gate worker and the `decode` test entry share one code path.
#pragma once
#include <cstdint>
#include <vector>

namespace bev {

/** All knobs of the deploy post-processing; presets live in TS (native/presets.ts). */
struct DecodeParams {
  double pc_min_x = 0, pc_min_y = 0;
  double cell_x = 0.8, cell_y = 0.8;  // out_size_factor * voxel_size
  double center_min[3] = {0, 0, 0};  // post_center_limit_range
  double center_max[3] = {0, 0, 0};
  double score_threshold = 0.1;
  int topk_per_class = 500;
  int max_topk = 500;
  double circle_r2 = 4.0;  // task 0: suppress when squared BEV distance <= this
  double iou_threshold = 0.2;  // task 1: suppress when rotated IoU >= this
  double nms_scale[5] = {1, 1, 1, 2.5, 4.0};
  int pre_max = 1000;
  int post_max = 83;
  std::vector<int> filter_labels;  // labels removed from the output
};

/** One task's head outputs, each laid out [channels, H, W] (batch 1), borrowed, not owned. */
struct TaskHead {
  const float* heatmap = nullptr;  // [classes, H, W] logits
  const float* reg = nullptr;      // [2, H, W]
  const float* height = nullptr;   // [1, H, W]
  const float* dim = nullptr;      // [3, H, W] log sizes
  const float* rot = nullptr;      // [2, H, W] (sin, cos)
  const float* vel = nullptr;      // [2, H, W]
  int classes = 5, h = 0, w = 0;
};

/** A decoded box: LiDAR frame, z = bottom, label = local class + 5 * task. */
struct Box {
  float x, y, z, l, w, h, yaw, vx, vy, score;
  int32_t label;
};

constexpr int kBoxFields = 11;  // floats per box when flattened for JS

/** Decodes two CenterHead tasks (0: circle NMS, 1: rotated NMS) into final, score-sorted boxes. */
std::vector<Box> decode_heads(const std::vector<TaskHead>& tasks, const DecodeParams& p);

/** The deploy score: clamp(sigmoid(logit), 1e-4, 1 - 1e-4), computed in double, rounded to float. */
float clamped_sigmoid(float logit);

}  // namespace bev
