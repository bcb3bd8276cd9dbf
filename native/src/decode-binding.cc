// `decode(tasks, params)`: synchronous test entry for the exact decode + NMS the gate uses. It is
// cheap (milliseconds), so it stays on the calling thread; the gate itself is async.
#include <napi.h>

#include "decode.h"
#include "js-convert.h"

namespace bev {

namespace {
const float* f32_field(const Napi::Object& o, const char* key, size_t want) {
  const Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(o.Env(), std::string("Expected a Float32Array for '") + key + "'");
  }
  const Napi::Float32Array a = v.As<Napi::Float32Array>();
  if (a.ElementLength() != want) {
    throw Napi::TypeError::New(o.Env(), std::string("Expected ") + std::to_string(want) + " floats for '" + key + "'");
  }
  return a.Data();
}
}  // namespace

Napi::Value Decode(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (info.Length() != 2 || !info[0].IsArray() || !info[1].IsObject()) {
    throw Napi::TypeError::New(env, "decode(tasks: TaskHead[], params: DecodeParams) expected");
  }
  const Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<TaskHead> tasks;
  for (uint32_t t = 0; t < arr.Length(); ++t) {
    const Napi::Object o = arr.Get(t).As<Napi::Object>();
    TaskHead th;
    th.classes = static_cast<int>(num_field(o, "classes"));
    th.h = static_cast<int>(num_field(o, "h"));
    th.w = static_cast<int>(num_field(o, "w"));
    const size_t hw = static_cast<size_t>(th.h) * th.w;
    th.heatmap = f32_field(o, "heatmap", hw * th.classes);
    th.reg = f32_field(o, "reg", hw * 2);
    th.height = f32_field(o, "height", hw);
    th.dim = f32_field(o, "dim", hw * 3);
    th.rot = f32_field(o, "rot", hw * 2);
    th.vel = f32_field(o, "vel", hw * 2);
    tasks.push_back(th);
  }
  const DecodeParams params = params_from_js(info[1].As<Napi::Object>());
  if (params.pre_max <= 0) throw Napi::TypeError::New(env, "decode needs preMax > 0 (0 means 'by pipeline', known only to validate)");
  return boxes_to_js(env, decode_heads(tasks, params));
}

}  // namespace bev
