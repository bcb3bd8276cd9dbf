// File formats are checked strictly: a wrong dump should be a clear GateError, not garbage boxes.
#include "tensor-io.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "gate-error.h"

namespace bev {
namespace {

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw GateError("INPUT_NOT_FOUND", "cannot open " + path);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

std::string shape_str(const ov::Shape& s) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < s.size(); ++i) o << (i ? "," : "") << s[i];
  o << "]";
  return o.str();
}

// Pulls the quoted value of `'key': '...'` or the parenthesised tuple of `'shape': (...)`.
std::string header_field(const std::string& h, const std::string& key, char open, char close) {
  const size_t k = h.find("'" + key + "'");
  if (k == std::string::npos) return "";
  const size_t a = h.find(open, h.find(':', k) + 1);
  const size_t b = h.find(close, a + 1);
  if (a == std::string::npos || b == std::string::npos) return "";
  return h.substr(a + 1, b - a - 1);
}

template <typename Src>
void convert_from(const Src* src, size_t n, ov::Tensor& dst) {
  const ov::element::Type t = dst.get_element_type();
  if (t == ov::element::f32) { float* d = dst.data<float>(); for (size_t i = 0; i < n; ++i) d[i] = static_cast<float>(src[i]); }
  else if (t == ov::element::i32) { int32_t* d = dst.data<int32_t>(); for (size_t i = 0; i < n; ++i) d[i] = static_cast<int32_t>(src[i]); }
  else if (t == ov::element::i64) { int64_t* d = dst.data<int64_t>(); for (size_t i = 0; i < n; ++i) d[i] = static_cast<int64_t>(src[i]); }
  else if (t == ov::element::u8) { uint8_t* d = dst.data<uint8_t>(); for (size_t i = 0; i < n; ++i) d[i] = static_cast<uint8_t>(src[i]); }
  else if (t == ov::element::u32) { uint32_t* d = dst.data<uint32_t>(); for (size_t i = 0; i < n; ++i) d[i] = static_cast<uint32_t>(src[i]); }
  else if (t == ov::element::f16) { ov::float16* d = dst.data<ov::float16>(); for (size_t i = 0; i < n; ++i) d[i] = ov::float16(static_cast<float>(src[i])); }
  else throw GateError("INPUT_TYPE_MISMATCH", "unsupported model input element type " + t.get_type_name());
}

}  // namespace

HostArray read_npy(const std::string& path) {
  const std::vector<uint8_t> raw = read_all(path);
  if (raw.size() < 10 || std::memcmp(raw.data(), "\x93NUMPY", 6) != 0) {
    throw GateError("INPUT_FORMAT", path + " is not a .npy file (missing \\x93NUMPY magic)");
  }
  const int major = raw[6];
  size_t hlen, off;
  if (major == 1) { hlen = raw[8] | (raw[9] << 8); off = 10; }
  else if (major == 2 || major == 3) {
    if (raw.size() < 12) throw GateError("INPUT_FORMAT", path + ": truncated .npy header");
    hlen = raw[8] | (raw[9] << 8) | (raw[10] << 16) | (static_cast<size_t>(raw[11]) << 24); off = 12;
  } else throw GateError("INPUT_FORMAT", path + ": unsupported .npy version " + std::to_string(major));
  if (off + hlen > raw.size()) throw GateError("INPUT_FORMAT", path + ": truncated .npy header");
  const std::string h(reinterpret_cast<const char*>(raw.data() + off), hlen);
  const std::string descr = header_field(h, "descr", '\'', '\'');
  if (h.find("'fortran_order': True") != std::string::npos) {
    throw GateError("INPUT_FORMAT", path + ": Fortran-order arrays are not supported; save with np.ascontiguousarray");
  }
  HostArray a;
  size_t item;
  if (descr == "<f4") { a.type = ov::element::f32; item = 4; }
  else if (descr == "<f8") { a.type = ov::element::f64; item = 8; }
  else if (descr == "<i4") { a.type = ov::element::i32; item = 4; }
  else if (descr == "<i8") { a.type = ov::element::i64; item = 8; }
  else if (descr == "<u4") { a.type = ov::element::u32; item = 4; }
  else if (descr == "|u1" || descr == "<u1") { a.type = ov::element::u8; item = 1; }
  else throw GateError("INPUT_FORMAT", path + ": unsupported dtype '" + descr + "' (expected <f4, <f8, <i4, <i8, <u4 or |u1)");
  std::istringstream dims(header_field(h, "shape", '(', ')'));
  std::string tok;
  size_t count = 1;
  while (std::getline(dims, tok, ',')) {
    if (tok.find_first_not_of(" ") == std::string::npos) continue;
    a.shape.push_back(std::stoull(tok));
    count *= a.shape.back();
  }
  const size_t data_off = off + hlen;
  if (raw.size() - data_off != count * item) {
    throw GateError("INPUT_FORMAT", path + ": expected " + std::to_string(count * item) + " data bytes for shape " +
                                        shape_str(a.shape) + ", file has " + std::to_string(raw.size() - data_off));
  }
  a.data.assign(raw.begin() + static_cast<long>(data_off), raw.end());
  return a;
}

HostArray read_geometry_bin(const std::string& path) {
  const std::vector<uint8_t> raw = read_all(path);
  if (raw.size() < 4) throw GateError("INPUT_FORMAT", path + ": too short for a geometry .bin ([uint32 count] header)");
  uint32_t count;
  std::memcpy(&count, raw.data(), 4);
  const size_t body = raw.size() - 4;
  HostArray a;
  if (body == static_cast<size_t>(count) * 4) { a.type = ov::element::u32; a.shape = {count}; }
  else if (body == static_cast<size_t>(count) * 12) { a.type = ov::element::i32; a.shape = {count, 3}; }
  else {
    throw GateError("INPUT_FORMAT", path + ": count " + std::to_string(count) + " needs " + std::to_string(count * 4ull) +
                                        " (uint32) or " + std::to_string(count * 12ull) + " (int32×3) bytes, file has " +
                                        std::to_string(body));
  }
  a.data.assign(raw.begin() + 4, raw.end());
  return a;
}

ov::Tensor to_input_tensor(const HostArray& a, const ov::element::Type& want_type, const ov::PartialShape& want_shape,
                           const std::string& input_name, const std::string& what) {
  if (!want_shape.compatible(ov::PartialShape(a.shape))) {
    std::ostringstream o;
    o << "input '" << input_name << "' expects shape " << want_shape << ", but " << what << " has "
      << shape_str(a.shape) << "; re-dump the frames for this model";
    throw GateError("INPUT_SHAPE_MISMATCH", o.str());
  }
  ov::Tensor t(want_type, a.shape);
  const size_t n = ov::shape_size(a.shape);
  if (a.type == want_type) { std::memcpy(t.data(), a.data.data(), a.data.size()); return t; }
  if (!want_type.is_real() && a.type.is_real()) {
    throw GateError("INPUT_TYPE_MISMATCH", "input '" + input_name + "' expects " + want_type.get_type_name() +
                                                ", but " + what + " holds floats (" + a.type.get_type_name() + ")");
  }
  const void* s = a.data.data();
  if (a.type == ov::element::f32) convert_from(static_cast<const float*>(s), n, t);
  else if (a.type == ov::element::f64) convert_from(static_cast<const double*>(s), n, t);
  else if (a.type == ov::element::i32) convert_from(static_cast<const int32_t*>(s), n, t);
  else if (a.type == ov::element::i64) convert_from(static_cast<const int64_t*>(s), n, t);
  else if (a.type == ov::element::u32) convert_from(static_cast<const uint32_t*>(s), n, t);
  else convert_from(static_cast<const uint8_t*>(s), n, t);
  return t;
}

std::vector<float> tensor_to_f32(const ov::Tensor& t) {
  const size_t n = t.get_size();
  std::vector<float> out(n);
  const ov::element::Type et = t.get_element_type();
  if (et == ov::element::f32) std::memcpy(out.data(), t.data<const float>(), n * 4);
  else if (et == ov::element::f16) { const ov::float16* s = t.data<const ov::float16>(); for (size_t i = 0; i < n; ++i) out[i] = s[i]; }
  else if (et == ov::element::f64) { const double* s = t.data<const double>(); for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(s[i]); }
  else throw GateError("OUTPUT_TYPE", "head output has element type " + et.get_type_name() + ", expected a float type");
  return out;
}

}  // namespace bev
