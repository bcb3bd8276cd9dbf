#include "js-convert.h"

#include <cstring>

namespace bev {

namespace {
Napi::Value field(const Napi::Object& o, const char* key) {
  if (!o.Has(key)) throw Napi::TypeError::New(o.Env(), std::string("Expected property '") + key + "'");
  return o.Get(key);
}
}  // namespace

double num_field(const Napi::Object& o, const char* key) {
  const Napi::Value v = field(o, key);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("Expected a number for '") + key + "'");
  return v.As<Napi::Number>().DoubleValue();
}

std::string str_field(const Napi::Object& o, const char* key) {
  const Napi::Value v = field(o, key);
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string("Expected a string for '") + key + "'");
  return v.As<Napi::String>().Utf8Value();
}

std::vector<double> num_array_field(const Napi::Object& o, const char* key, size_t want_len) {
  const Napi::Value v = field(o, key);
  if (!v.IsArray()) throw Napi::TypeError::New(o.Env(), std::string("Expected an array for '") + key + "'");
  const Napi::Array a = v.As<Napi::Array>();
  if (want_len && a.Length() != want_len) {
    throw Napi::TypeError::New(o.Env(), std::string("Expected ") + std::to_string(want_len) + " numbers for '" + key + "'");
  }
  std::vector<double> out;
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(a.Get(i).As<Napi::Number>().DoubleValue());
  return out;
}

std::vector<std::string> str_array_field(const Napi::Object& o, const char* key) {
  const Napi::Value v = field(o, key);
  if (!v.IsArray()) throw Napi::TypeError::New(o.Env(), std::string("Expected an array for '") + key + "'");
  const Napi::Array a = v.As<Napi::Array>();
  std::vector<std::string> out;
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  return out;
}

DecodeParams params_from_js(const Napi::Object& o) {
  DecodeParams p;
  const auto pc = num_array_field(o, "pcMin", 2);
  const auto cell = num_array_field(o, "cellSize", 2);
  const auto lo = num_array_field(o, "postCenterMin", 3);
  const auto hi = num_array_field(o, "postCenterMax", 3);
  const auto scale = num_array_field(o, "nmsScale", 5);
  p.pc_min_x = pc[0]; p.pc_min_y = pc[1];
  p.cell_x = cell[0]; p.cell_y = cell[1];
  for (int k = 0; k < 3; ++k) { p.center_min[k] = lo[k]; p.center_max[k] = hi[k]; }
  for (int k = 0; k < 5; ++k) p.nms_scale[k] = scale[k];
  p.score_threshold = num_field(o, "scoreThreshold");
  p.topk_per_class = static_cast<int>(num_field(o, "topkPerClass"));
  p.max_topk = static_cast<int>(num_field(o, "maxTopk"));
  p.circle_r2 = num_field(o, "circleR2");
  p.iou_threshold = num_field(o, "iouThreshold");
  p.pre_max = static_cast<int>(num_field(o, "preMax"));
  p.post_max = static_cast<int>(num_field(o, "postMax"));
  for (double l : num_array_field(o, "filterLabels", 0)) p.filter_labels.push_back(static_cast<int>(l));
  return p;
}

Napi::Float32Array boxes_to_js(Napi::Env env, const std::vector<Box>& boxes) {
  Napi::Float32Array a = Napi::Float32Array::New(env, boxes.size() * kBoxFields);
  for (size_t i = 0; i < boxes.size(); ++i) {
    const Box& b = boxes[i];
    const float v[kBoxFields] = {b.x, b.y, b.z, b.l, b.w, b.h, b.yaw, b.vx, b.vy, b.score, static_cast<float>(b.label)};
    std::memcpy(a.Data() + i * kBoxFields, v, sizeof v);
  }
  return a;
}

}  // namespace bev
