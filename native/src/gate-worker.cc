// `validate(spec)` → Promise: copies the spec into a plain C++ baton on the JS thread, runs
// run_gate() on the libuv pool, builds a plain JSON-safe object (plus Float32Array boxes) in OnOK.
#include <napi.h>

#include "gate-error.h"
#include "gate.h"
#include "js-convert.h"

namespace bev {
namespace {

Napi::Array models_to_js(Napi::Env env, const std::vector<ModelInfo>& models) {
  auto port_list = [&](const std::vector<PortInfo>& ps) {
    Napi::Array a = Napi::Array::New(env, ps.size());
    for (size_t i = 0; i < ps.size(); ++i) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", ps[i].name);
      o.Set("shape", ps[i].shape);
      o.Set("type", ps[i].type);
      a.Set(static_cast<uint32_t>(i), o);
    }
    return a;
  };
  Napi::Array a = Napi::Array::New(env, models.size());
  for (size_t i = 0; i < models.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("path", models[i].path);
    o.Set("inputs", port_list(models[i].inputs));
    o.Set("outputs", port_list(models[i].outputs));
    a.Set(static_cast<uint32_t>(i), o);
  }
  return a;
}

class GateWorker : public Napi::AsyncWorker {
 public:
  GateWorker(Napi::Env env, GateSpec spec)
      : Napi::AsyncWorker(env), spec_(std::move(spec)), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  // Only the baton is touched here. GateError keeps its code; anything else OpenVINO throws is
  // caught too, so no exception escapes the worker thread.
  void Execute() override {
    try {
      result_ = run_gate(spec_);
    } catch (const GateError& e) {
      code_ = e.code();
      SetError(e.what());
    } catch (const std::exception& e) {
      code_ = "OV_ERROR";
      SetError(e.what());
    }
  }

  void OnOK() override {
    const Napi::Env env = Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("openvinoVersion", result_.ov_version);
    o.Set("pipeline", result_.pipeline);
    o.Set("compileMs", result_.compile_ms);
    o.Set("preMax", result_.pre_max);
    o.Set("fp32Models", models_to_js(env, result_.fp32_models));
    o.Set("int8Models", models_to_js(env, result_.int8_models));
    Napi::Array frames = Napi::Array::New(env, result_.frames.size());
    for (size_t i = 0; i < result_.frames.size(); ++i) {
      const FrameResult& f = result_.frames[i];
      Napi::Object fo = Napi::Object::New(env);
      fo.Set("id", f.id);
      fo.Set("fp32", boxes_to_js(env, f.fp32));
      fo.Set("int8", boxes_to_js(env, f.int8));
      fo.Set("maxAbsHeatmapDiff", f.max_abs_heatmap_diff);
      fo.Set("loadMs", f.load_ms);
      fo.Set("fp32Ms", f.fp32_ms);
      fo.Set("int8Ms", f.int8_ms);
      fo.Set("decodeMs", f.decode_ms);
      fo.Set("compareMs", f.compare_ms);
      frames.Set(static_cast<uint32_t>(i), fo);
    }
    o.Set("frames", frames);
    deferred_.Resolve(o);
  }

  void OnError(const Napi::Error& e) override {
    Napi::Error err = e;
    err.Set("code", Napi::String::New(Env(), code_.empty() ? "OV_ERROR" : code_));
    deferred_.Reject(err.Value());
  }

 private:
  GateSpec spec_;
  GateResult result_;
  std::string code_;
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Value Validate(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "validate(spec: GateSpec) expected");
  const Napi::Object o = info[0].As<Napi::Object>();
  GateSpec spec;
  spec.fp32 = str_array_field(o, "fp32");
  spec.int8 = str_array_field(o, "int8");
  spec.frames_dir = str_field(o, "framesDir");
  spec.frame_ids = str_array_field(o, "frameIds");
  spec.device = str_field(o, "device");
  spec.threads = static_cast<int>(num_field(o, "threads"));
  const Napi::Array consts = o.Get("consts").As<Napi::Array>();
  for (uint32_t i = 0; i < consts.Length(); ++i) {
    const Napi::Object c = consts.Get(i).As<Napi::Object>();
    spec.consts.emplace_back(str_field(c, "name"), str_field(c, "path"));
  }
  spec.params = params_from_js(o.Get("params").As<Napi::Object>());
  auto* worker = new GateWorker(env, std::move(spec));
  Napi::Promise p = worker->Promise();
  worker->Queue();
  return p;
}

}  // namespace bev
