// Deploy CenterHead post-processing, step numbers refer to reference §6.
//
// Determinism matters more than speed here: the gate compares counts, and the test compares every
// box against an independent reference. So the candidate order is total — score descending, then
// global cell key (class * H * W + cell) ascending — and arithmetic is double, rounded to float
// once per stored value.
#include "decode.h"

#include <algorithm>
#include <cmath>

#include "rotated-iou.h"

namespace bev {
namespace {

const float kScoreLo = static_cast<float>(1e-4);
const float kScoreHi = static_cast<float>(1.0 - 1e-4);

struct Cand {
  float score;
  int64_t key;  // class * H * W + cell
};

bool better(const Cand& a, const Cand& b) {
  return a.score != b.score ? a.score > b.score : a.key < b.key;
}

// Steps 1–3: clamped sigmoid, per-class top-K, overall top-K, score threshold.
std::vector<Cand> top_candidates(const TaskHead& t, const DecodeParams& p) {
  const int64_t hw = static_cast<int64_t>(t.h) * t.w;
  // Cells below the threshold can never survive step 3, and every cell above it outranks them, so
  // filtering first selects the same set. The logit pre-test (with margin) skips most exp calls.
  const double thr = p.score_threshold;
  // At or below the clamp floor every cell passes (its score is at least 1e-4), so no pre-test.
  const double logit_thr =
      thr <= kScoreLo ? -INFINITY : thr >= 1 ? INFINITY : std::log(thr / (1 - thr)) - 1e-3;
  std::vector<Cand> all;
  std::vector<Cand> cls;
  for (int c = 0; c < t.classes; ++c) {
    cls.clear();
    const float* hm = t.heatmap + c * hw;
    for (int64_t i = 0; i < hw; ++i) {
      if (static_cast<double>(hm[i]) < logit_thr) continue;
      const float s = clamped_sigmoid(hm[i]);
      if (!(static_cast<double>(s) >= thr)) continue;  // also drops NaN logits
      cls.push_back({s, c * hw + i});
    }
    const size_t k = std::min<size_t>(cls.size(), static_cast<size_t>(p.topk_per_class));
    std::partial_sort(cls.begin(), cls.begin() + k, cls.end(), better);
    all.insert(all.end(), cls.begin(), cls.begin() + k);
  }
  const size_t k = std::min<size_t>(all.size(), static_cast<size_t>(p.max_topk));
  std::partial_sort(all.begin(), all.begin() + k, all.end(), better);
  all.resize(k);
  return all;
}

// Step 4: decode one cell.
Box decode_cell(const TaskHead& t, const Cand& c, int task, const DecodeParams& p) {
  const int64_t hw = static_cast<int64_t>(t.h) * t.w;
  const int local = static_cast<int>(c.key / hw);
  const int64_t i = c.key % hw;
  const int64_t row = i / t.w, col = i % t.w;
  Box b;
  b.x = static_cast<float>((static_cast<double>(row) + t.reg[i]) * p.cell_x + p.pc_min_x);
  b.y = static_cast<float>((static_cast<double>(col) + t.reg[hw + i]) * p.cell_y + p.pc_min_y);
  b.z = t.height[i];
  b.l = static_cast<float>(std::exp(static_cast<double>(t.dim[i])));
  b.w = static_cast<float>(std::exp(static_cast<double>(t.dim[hw + i])));
  b.h = static_cast<float>(std::exp(static_cast<double>(t.dim[2 * hw + i])));
  b.yaw = static_cast<float>(std::atan2(static_cast<double>(t.rot[i]), static_cast<double>(t.rot[hw + i])));
  b.vx = t.vel[i];
  b.vy = t.vel[hw + i];
  b.score = c.score;
  b.label = local + 5 * task;
  return b;
}

// Step 5, task 0: greedy circle NMS on squared centre distance.
std::vector<Box> circle_nms(const std::vector<Box>& in, const DecodeParams& p) {
  std::vector<Box> keep;
  std::vector<char> dead(in.size(), 0);
  for (size_t i = 0; i < in.size() && static_cast<int>(keep.size()) < p.post_max; ++i) {
    if (dead[i]) continue;
    keep.push_back(in[i]);
    for (size_t j = i + 1; j < in.size(); ++j) {
      const double dx = static_cast<double>(in[i].x) - in[j].x;
      const double dy = static_cast<double>(in[i].y) - in[j].y;
      if (dx * dx + dy * dy <= p.circle_r2) dead[j] = 1;
    }
  }
  return keep;
}

// Step 5, task 1: greedy rotated-IoU NMS with per-class size scaling.
std::vector<Box> rotated_nms(const std::vector<Box>& all, const DecodeParams& p, int task) {
  const size_t n = std::min<size_t>(all.size(), static_cast<size_t>(p.pre_max));
  std::vector<BevRect> rects(n);
  for (size_t i = 0; i < n; ++i) {
    const int local = all[i].label - 5 * task;
    const double s = local >= 0 && local < 5 ? p.nms_scale[local] : 1.0;
    rects[i] = {all[i].x, all[i].y, all[i].l * s, all[i].w * s, all[i].yaw};
  }
  std::vector<Box> keep;
  std::vector<char> dead(n, 0);
  for (size_t i = 0; i < n && static_cast<int>(keep.size()) < p.post_max; ++i) {
    if (dead[i]) continue;
    keep.push_back(all[i]);
    for (size_t j = i + 1; j < n; ++j) {
      if (!dead[j] && rotated_iou(rects[i], rects[j]) >= p.iou_threshold) dead[j] = 1;
    }
  }
  return keep;
}

}  // namespace

float clamped_sigmoid(float logit) {
  const float s = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(logit))));
  return std::min(std::max(s, kScoreLo), kScoreHi);
}

std::vector<Box> decode_heads(const std::vector<TaskHead>& tasks, const DecodeParams& p) {
  std::vector<Box> out;
  for (size_t t = 0; t < tasks.size(); ++t) {
    const std::vector<Cand> cands = top_candidates(tasks[t], p);
    std::vector<Box> boxes;
    boxes.reserve(cands.size());
    for (const Cand& c : cands) boxes.push_back(decode_cell(tasks[t], c, static_cast<int>(t), p));
    const std::vector<Box> kept =
        t == 0 ? circle_nms(boxes, p) : rotated_nms(boxes, p, static_cast<int>(t));
    for (const Box& b : kept) {
      // Step 6: centre inside the post-centre range (inclusive), before z moves to the bottom.
      const double c[3] = {b.x, b.y, b.z};
      bool inside = true;
      for (int k = 0; k < 3; ++k) inside = inside && c[k] >= p.center_min[k] && c[k] <= p.center_max[k];
      if (!inside) continue;
      // Step 8: label filter.
      if (std::find(p.filter_labels.begin(), p.filter_labels.end(), b.label) != p.filter_labels.end()) continue;
      Box o = b;
      o.z = static_cast<float>(static_cast<double>(b.z) - static_cast<double>(b.h) / 2);  // step 7
      out.push_back(o);
    }
  }
  // Unified deploy sorts the final list by score; stable keeps task order among ties.
  std::stable_sort(out.begin(), out.end(), [](const Box& a, const Box& b) { return a.score > b.score; });
  return out;
}

}  // namespace bev
