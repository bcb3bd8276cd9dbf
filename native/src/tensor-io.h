// Reading frame inputs from disk (.npy, geometry .bin) and shaping them into OpenVINO tensors.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <openvino/openvino.hpp>

namespace bev {

/** A host array as read from a file: element type, shape, raw C-order bytes. */
struct HostArray {
  ov::element::Type type;
  ov::Shape shape;
  std::vector<uint8_t> data;
};

/** Parses a .npy file (v1/v2/v3 header; f32, f64, i32, i64, u8, u32; C order, little endian). */
HostArray read_npy(const std::string& path);

/** Parses a geometry .bin: `[u32 count][count×u32]` → u32[count] or `[u32 count][count×i32×3]` → i32[count,3]. */
HostArray read_geometry_bin(const std::string& path);

/**
 * Converts `a` to the element type and (static) shape the model input expects. `what` names the
 * source in error messages ("frame 000001 file …/000001_feats.npy").
 */
ov::Tensor to_input_tensor(const HostArray& a, const ov::element::Type& want_type,
                           const ov::PartialShape& want_shape, const std::string& input_name,
                           const std::string& what);

/** Copies any numeric tensor to float32 values (for head outputs that are f16 or f64). */
std::vector<float> tensor_to_f32(const ov::Tensor& t);

}  // namespace bev
