// Experiment: one fully resolved, validated experiment definition (after base files, sweep axes and
// --set overrides were applied). Produced by config/, consumed by runner/.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "llama_quant/params.h"

namespace lq {

struct ModelSpec {
  // A Hugging Face folder, a .gguf file, or a config.json (then random_seed must be set).
  std::filesystem::path path;
  std::optional<uint64_t> random_seed;  // `random_weights: {seed: N}`: weights drawn at random
  // `tokenizer: PATH` (a tokenizer.json, a folder with one, or a GGUF file): used instead of the model's
  // own tokenizer, e.g. for random weights, whose bare config.json has none.
  std::optional<std::filesystem::path> tokenizer;
};

struct QuantizationSpec {
  std::string backend;  // plugin name, e.g. "fp16", "bnb4"
  Params params;
};

struct TaskSpec {
  std::string name;  // plugin name, e.g. "coqa"
  Params params;
  std::optional<int64_t> limit;
  std::optional<uint64_t> limit_seed;
};

struct BenchmarkSpec {
  bool enabled = true;
  std::vector<int64_t> prompt_lengths{128, 512, 2048};  // prefill latency
  std::vector<int64_t> batch_sizes{1, 8, 32};           // decode throughput
  int64_t decode_prompt_length = 512;                   // prompt length for the decode runs
  int64_t new_tokens = 128;                             // tokens generated per decode run
  int64_t warmup = 1;                                   // warm-up runs before each measurement, at least
  double warmup_s = 0.5;  // and at least this much measured time: an idle GPU starts at a low clock
  int64_t repetitions = 5;
};

// How tasks generate (`generation:`), mapped onto the generator's options.
struct GenerationSpec {
  int64_t max_batch = 8;          // prompts decoded together
  bool prefix_reuse = true;       // a prompt reuses the keys/values of a prefix shared with an earlier one
  int64_t prefix_cache_mb = 512;  // device memory for those keys/values (least recently used go first)
  bool cuda_graphs = true;    // on CUDA, decode by replaying one captured step (prefill a repeated shape too)
  bool fused_kernels = true;  // on CUDA, the framework's kernels (false: libtorch's ops, the reference)
};

struct Experiment {
  std::string name;
  std::string description;
  ModelSpec model;
  std::string device = "auto";  // cuda, cuda:N, cpu, auto
  std::string dtype = "auto";   // float16, bfloat16, float32, auto (fp16 on CUDA, fp32 on CPU)
  QuantizationSpec quantization;
  std::vector<TaskSpec> tasks;
  BenchmarkSpec benchmark;
  GenerationSpec generation;
  uint64_t seed = 0;
  std::filesystem::path output_dir;  // where result records go
  std::optional<double> timeout_s;   // per-experiment wall-clock limit in the sweep runner
  std::vector<std::filesystem::path> plugin_paths;
  std::filesystem::path source_file;         // the YAML file it came from
  json resolved;                             // the whole resolved configuration, as recorded
  std::string config_hash;                   // sha256 of resolved (canonical dump), for resume
  std::shared_ptr<const SourceMap> sources;  // where each value was written (JSON pointer -> location)
};

}  // namespace lq
