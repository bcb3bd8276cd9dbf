// The validation gate proper: run FP32 and INT8 model chains on the same frames and decode both.
// Plain C++ on a worker thread; gate-worker.cc converts to and from JS.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "decode.h"

namespace bev {

/** What to run; TS has already checked that the files exist and normalised every value. */
struct GateSpec {
  std::vector<std::string> fp32, int8;  // model chains (ONNX or IR .xml), stage order
  std::string frames_dir;
  std::vector<std::string> frame_ids;  // manifest.txt order
  std::vector<std::pair<std::string, std::string>> consts;  // input name, .npy or geometry .bin
  std::string device = "CPU";
  // OpenVINO inference threads (0: the device default). A fixed count keeps results independent of the
  // host's cores: work split across threads may round differently.
  int threads = 1;
  DecodeParams params;
};

/** One model port as reported back (for the report and for error messages). */
struct PortInfo {
  std::string name, shape, type;
};

/** One loaded model of a chain. */
struct ModelInfo {
  std::string path;
  std::vector<PortInfo> inputs, outputs;
};

/** Per-frame outcome: both sides' boxes, the heatmap gap and where the time went. */
struct FrameResult {
  std::string id;
  std::vector<Box> fp32, int8;
  double max_abs_heatmap_diff = 0;
  double load_ms = 0, fp32_ms = 0, int8_ms = 0, decode_ms = 0, compare_ms = 0;
};

/** Whole-run outcome. */
struct GateResult {
  std::string ov_version, pipeline;  // pipeline: "unified" | "split"
  std::vector<ModelInfo> fp32_models, int8_models;
  double compile_ms = 0;
  int pre_max = 0;  // effective task-1 pre_max (params value or the pipeline default)
  std::vector<FrameResult> frames;
};

/** Runs the gate; throws GateError for expected failures (bad model, inputs, outputs). */
GateResult run_gate(const GateSpec& spec);

}  // namespace bev
