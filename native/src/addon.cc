// Module init: exports only. validate → gate-worker.cc, decode → decode-binding.cc.
#include <napi.h>

#include <openvino/core/version.hpp>

namespace bev {
Napi::Value Validate(const Napi::CallbackInfo& info);
Napi::Value Decode(const Napi::CallbackInfo& info);
}  // namespace bev

namespace {

Napi::Value OpenvinoVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), ov::get_openvino_version().buildNumber);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("validate", Napi::Function::New(env, bev::Validate, "validate"));
  exports.Set("decode", Napi::Function::New(env, bev::Decode, "decode"));
  exports.Set("openvinoVersion", Napi::Function::New(env, OpenvinoVersion, "openvinoVersion"));
  return exports;
}

}  // namespace

NODE_API_MODULE(bevbuild_native, Init)
