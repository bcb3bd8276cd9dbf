// Chains: every stage input is fed, in this order of precedence, from a --const file, from a
// same-named output of an earlier stage of the same chain, or from `<frames>/<fid>_<name>.npy`.
#include "gate.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <openvino/frontend/manager.hpp>
#include <openvino/openvino.hpp>

#include "gate-error.h"
#include "tensor-io.h"

namespace bev {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

const char* kFields[6] = {"heatmap", "reg", "height", "dim", "rot", "vel"};
const char* kSplitFields[6] = {"score", "reg", "height", "dim", "rot", "vel"};
const int kChannels[6] = {-1, 2, 1, 3, 2, 2};  // -1: classes, taken from the heatmap

// The head output names of task t for a pipeline.
std::string head_name(const std::string& pipeline, int t, int f) {
  if (pipeline == "unified") return "task" + std::to_string(t) + "_" + kFields[f];
  return std::string(kSplitFields[f]) + (t == 0 ? "" : "2");
}

struct Stage {
  ModelInfo info;
  ov::CompiledModel compiled;
  ov::InferRequest request;
  // The inputs' names as the exporter wrote them (the Parameters' friendly names, in compiled-input
  // order). Not get_any_name(): after compilation a port may carry extra tensor names (e.g. of a
  // folded Convert, "cam/BevPoolV2/idx64_out"), and get_any_name() returns the smallest of them.
  std::vector<std::string> input_names;
};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::vector<PortInfo> ports(const std::vector<ov::Output<const ov::Node>>& v) {
  std::vector<PortInfo> out;
  for (const auto& p : v) {
    std::ostringstream s;
    s << p.get_partial_shape();
    out.push_back({p.get_any_name(), s.str(), p.get_element_type().get_type_name()});
  }
  return out;
}

// Asks only the frontend the extension names whether it can read the file. Without this, a corrupt
// file makes read_model() probe every frontend and the TensorFlow one logs parse errors about
// "tensorflow.GraphDef" to stderr, which would mislead whoever reads the gate's log.
void check_format(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  const std::string framework = ext == ".xml" ? "ir" : ext == ".onnx" ? "onnx" : "";
  if (framework.empty()) return;
  ov::frontend::FrontEndManager fem;
  const auto fe = fem.load_by_framework(framework);
  if (!fe || !fe->supported(path)) {
    throw GateError("OV_READ_MODEL_FAILED", "OpenVINO could not read the model " + path + ": not a valid " +
                                                (framework == "ir" ? "OpenVINO IR .xml" : "ONNX file") +
                                                ".\nExpected a model file OpenVINO can read; re-export the model (or re-run the quantization that wrote it).");
  }
}

std::vector<Stage> load_chain(ov::Core& core, const std::vector<std::string>& paths, const std::string& device,
                              bool force_f32, int threads) {
  std::vector<Stage> chain;
  for (const auto& path : paths) {
    std::shared_ptr<ov::Model> model;
    try {
      check_format(path);
      model = core.read_model(path);
    } catch (const GateError&) {
      throw;
    } catch (const std::exception& e) {
      throw GateError("OV_READ_MODEL_FAILED", "OpenVINO could not read the model " + path + ": " + e.what() +
                                                  "\nExpected a valid ONNX file or an IR .xml with its .bin beside it; "
                                                  "re-export the model.");
    }
    Stage s;
    try {
      ov::AnyMap cfg;
      // The FP32 side is the reference: keep it f32 even on devices that default to f16/bf16.
      if (force_f32) cfg[ov::hint::inference_precision.name()] = ov::element::f32;
      if (threads > 0 && device == "CPU") {
        cfg[ov::inference_num_threads.name()] = threads;
        cfg[ov::num_streams.name()] = ov::streams::Num(1);
      }
      s.compiled = core.compile_model(model, device, cfg);
      s.request = s.compiled.create_infer_request();
    } catch (const std::exception& e) {
      throw GateError("OV_COMPILE_FAILED", "OpenVINO could not compile " + path + " for device '" + device +
                                               "': " + e.what() + "\nAvailable devices: " +
                                               join(core.get_available_devices()));
    }
    for (const auto& param : model->get_parameters()) s.input_names.push_back(param->get_friendly_name());
    if (s.input_names.size() != s.compiled.inputs().size())
      throw GateError("OV_COMPILE_FAILED", "internal: compiled inputs of " + path + " do not match the model's parameters");
    s.info = {path, ports(s.compiled.inputs()), ports(s.compiled.outputs())};
    for (size_t i = 0; i < s.info.inputs.size(); ++i) s.info.inputs[i].name = s.input_names[i];
    chain.push_back(std::move(s));
  }
  return chain;
}

// Picks the pipeline from the final stage's outputs and checks all twelve head outputs exist.
std::string detect_pipeline(const std::vector<Stage>& chain, const char* side) {
  std::set<std::string> names;
  for (const auto& st : chain)
    for (const auto& o : st.compiled.outputs())
      for (const auto& n : o.get_names()) names.insert(n);
  const std::string pipeline = names.count("task0_heatmap") ? "unified" : names.count("score") ? "split" : "";
  std::vector<std::string> missing;
  for (int t = 0; t < 2; ++t)
    for (int f = 0; f < 6; ++f) {
      const std::string n = head_name(pipeline.empty() ? "unified" : pipeline, t, f);
      if (!names.count(n)) missing.push_back(n);
    }
  if (pipeline.empty() || !missing.empty()) {
    std::vector<std::string> have(names.begin(), names.end());
    throw GateError("OUTPUT_NAMES_MISMATCH",
                    std::string("the ") + side + " chain's outputs [" + join(have) + "] do not match a CenterHead pipeline" +
                        (missing.empty() ? "" : " (missing: " + join(missing) + ")") +
                        ".\nExpected unified outputs task{0,1}_{heatmap,reg,height,dim,rot,vel} (Pipeline B) or head outputs "
                        "score,reg,height,dim,rot,vel,score2,…,vel2 (Pipeline A); pass the whole chain ending with the head.");
  }
  return pipeline;
}

using TensorMap = std::map<std::string, ov::Tensor>;

// Runs one chain on one frame; `frame` holds the frame and const inputs already as host arrays.
TensorMap run_chain(std::vector<Stage>& chain, const std::map<std::string, HostArray>& frame, const std::string& fid) {
  TensorMap produced;
  for (auto& st : chain) {
    const auto inputs = st.compiled.inputs();
    for (size_t i = 0; i < inputs.size(); ++i) {
      const std::string& name = st.input_names[i];
      auto prev = produced.find(name);
      if (prev != produced.end()) {
        st.request.set_input_tensor(i, prev->second);
        continue;
      }
      auto f = frame.find(name);
      if (f == frame.end()) throw GateError("INPUT_NOT_FOUND", "internal: no source for input " + name);
      st.request.set_input_tensor(i, to_input_tensor(f->second, inputs[i].get_element_type(),
                                                     inputs[i].get_partial_shape(), name,
                                                     "frame " + fid + " input '" + name + "' (" + st.info.path + ")"));
    }
    try {
      st.request.infer();
    } catch (const std::exception& e) {
      throw GateError("OV_INFER_FAILED", "inference of " + st.info.path + " failed on frame " + fid + ": " + e.what());
    }
    const auto outputs = st.compiled.outputs();
    for (size_t i = 0; i < outputs.size(); ++i) {
      const ov::Tensor t = st.request.get_output_tensor(i);
      for (const auto& n : outputs[i].get_names()) produced[n] = t;
    }
  }
  return produced;
}

// Head views over a chain's outputs; `store` keeps f32 copies of non-f32 tensors alive.
std::vector<TaskHead> heads(const TensorMap& out, const std::string& pipeline, std::vector<std::vector<float>>& store) {
  std::vector<TaskHead> tasks(2);
  store.clear();
  store.reserve(12);
  for (int t = 0; t < 2; ++t) {
    const ov::Tensor& hm = out.at(head_name(pipeline, t, 0));
    const ov::Shape s = hm.get_shape();
    if (s.size() < 2) throw GateError("OUTPUT_SHAPE", head_name(pipeline, t, 0) + " must be [1,C,H,W]");
    TaskHead& th = tasks[t];
    th.h = static_cast<int>(s[s.size() - 2]);
    th.w = static_cast<int>(s[s.size() - 1]);
    th.classes = static_cast<int>(hm.get_size() / (s[s.size() - 2] * s[s.size() - 1]));
    const float* ptrs[6];
    for (int f = 0; f < 6; ++f) {
      const std::string n = head_name(pipeline, t, f);
      const ov::Tensor& x = out.at(n);
      const size_t want = static_cast<size_t>(kChannels[f] < 0 ? th.classes : kChannels[f]) * th.h * th.w;
      if (x.get_size() != want) {
        throw GateError("OUTPUT_SHAPE", "output " + n + " has " + std::to_string(x.get_size()) + " values, expected " +
                                            std::to_string(want) + " (channels × " + std::to_string(th.h) + " × " +
                                            std::to_string(th.w) + ")");
      }
      if (x.get_element_type() == ov::element::f32) {
        ptrs[f] = x.data<const float>();
      } else {
        store.push_back(tensor_to_f32(x));
        ptrs[f] = store.back().data();
      }
    }
    th.heatmap = ptrs[0]; th.reg = ptrs[1]; th.height = ptrs[2]; th.dim = ptrs[3]; th.rot = ptrs[4]; th.vel = ptrs[5];
  }
  return tasks;
}

double heatmap_gap(const std::vector<TaskHead>& a, const std::vector<TaskHead>& b) {
  double gap = 0;
  for (size_t t = 0; t < a.size(); ++t) {
    if (a[t].classes != b[t].classes || a[t].h != b[t].h || a[t].w != b[t].w) {
      throw GateError("OUTPUT_SHAPE", "FP32 and INT8 heatmaps of task " + std::to_string(t) + " differ in shape");
    }
    const size_t n = static_cast<size_t>(a[t].classes) * a[t].h * a[t].w;
    for (size_t i = 0; i < n; ++i) {
      const double d = std::fabs(1.0 / (1.0 + std::exp(-a[t].heatmap[i])) - 1.0 / (1.0 + std::exp(-b[t].heatmap[i])));
      if (d > gap) gap = d;
    }
  }
  return gap;
}

}  // namespace

GateResult run_gate(const GateSpec& spec) {
  GateResult r;
  r.ov_version = ov::get_openvino_version().buildNumber;
  const auto t0 = Clock::now();
  ov::Core core;
  std::vector<Stage> fp32 = load_chain(core, spec.fp32, spec.device, true, spec.threads);
  // Both sides f32 for everything not quantized: on CPUs with bf16 support OpenVINO would
  // otherwise run the float parts in bf16 (heatmap logits moved by up to 5 on this machine), and
  // the gate would measure bf16 noise instead of what INT8 quantization changed.
  std::vector<Stage> int8 = load_chain(core, spec.int8, spec.device, true, spec.threads);
  r.compile_ms = ms_since(t0);
  r.pipeline = detect_pipeline(fp32, "FP32");
  if (detect_pipeline(int8, "INT8") != r.pipeline) {
    throw GateError("OUTPUT_NAMES_MISMATCH", "the FP32 chain is a " + r.pipeline + " pipeline but the INT8 chain is not; "
                                             "compare models of the same pipeline");
  }
  DecodeParams params = spec.params;
  if (params.pre_max <= 0) params.pre_max = r.pipeline == "split" ? 200 : 1000;  // deploy defaults (§5)
  r.pre_max = params.pre_max;
  for (const auto& s : fp32) r.fp32_models.push_back(s.info);
  for (const auto& s : int8) r.int8_models.push_back(s.info);

  // Which inputs come from frame files: not a const, not produced earlier in the chain.
  std::map<std::string, std::string> consts(spec.consts.begin(), spec.consts.end());
  std::map<std::string, std::string> frame_inputs;  // name → model path (for messages)
  for (auto* chain : {&fp32, &int8}) {
    std::set<std::string> produced;
    for (const auto& st : *chain) {
      for (const auto& n : st.input_names) {
        if (!consts.count(n) && !produced.count(n)) frame_inputs.emplace(n, st.info.path);
      }
      for (const auto& o : st.compiled.outputs())
        for (const auto& n : o.get_names()) produced.insert(n);
    }
  }
  namespace fs = std::filesystem;
  for (const auto& fid : spec.frame_ids)
    for (const auto& [name, model] : frame_inputs) {
      const fs::path p = fs::path(spec.frames_dir) / (fid + "_" + name + ".npy");
      if (!fs::exists(p)) {
        std::vector<std::string> want;
        for (const auto& kv : frame_inputs) want.push_back(kv.first);
        throw GateError("INPUT_NOT_FOUND", "frame " + fid + ": missing " + p.string() + " for input '" + name + "' of " +
                                               model + ".\nThe models read these inputs from frame files: " + join(want) +
                                               " (files <frame id>_<input name>.npy); pass constant inputs with --const name=file");
      }
    }
  std::map<std::string, HostArray> frame;
  for (const auto& [name, path] : consts) {
    frame[name] = path.size() > 4 && path.compare(path.size() - 4, 4, ".npy") == 0 ? read_npy(path) : read_geometry_bin(path);
  }

  std::vector<std::vector<float>> store_a, store_b;
  for (const auto& fid : spec.frame_ids) {
    FrameResult fr;
    fr.id = fid;
    auto t = Clock::now();
    for (const auto& kv : frame_inputs) {
      frame[kv.first] = read_npy((fs::path(spec.frames_dir) / (fid + "_" + kv.first + ".npy")).string());
    }
    fr.load_ms = ms_since(t);
    t = Clock::now();
    const TensorMap out_a = run_chain(fp32, frame, fid);
    fr.fp32_ms = ms_since(t);
    t = Clock::now();
    const TensorMap out_b = run_chain(int8, frame, fid);
    fr.int8_ms = ms_since(t);
    t = Clock::now();
    const auto ha = heads(out_a, r.pipeline, store_a);
    const auto hb = heads(out_b, r.pipeline, store_b);
    fr.fp32 = decode_heads(ha, params);
    fr.int8 = decode_heads(hb, params);
    fr.decode_ms = ms_since(t);
    t = Clock::now();
    fr.max_abs_heatmap_diff = heatmap_gap(ha, hb);
    fr.compare_ms = ms_since(t);
    r.frames.push_back(std::move(fr));
  }
  return r;
}

}  // namespace bev
