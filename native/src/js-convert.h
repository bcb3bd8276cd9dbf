// JS ↔ C++ conversion helpers. TS (native/validate.ts, native/decode.ts) has validated and
// normalised every value, so these only type-check (TypeError on misuse = a bug in the caller).
#pragma once
#include <string>
#include <vector>

#include <napi.h>

#include "decode.h"

namespace bev {

double num_field(const Napi::Object& o, const char* key);
std::string str_field(const Napi::Object& o, const char* key);
std::vector<double> num_array_field(const Napi::Object& o, const char* key, size_t want_len);
std::vector<std::string> str_array_field(const Napi::Object& o, const char* key);

/** Reads a normalised DecodeParams object (see native/decode-params.ts). */
DecodeParams params_from_js(const Napi::Object& o);

/** Boxes flattened to Float32Array [x,y,z,l,w,h,yaw,vx,vy,score,label] × N. */
Napi::Float32Array boxes_to_js(Napi::Env env, const std::vector<Box>& boxes);

}  // namespace bev
