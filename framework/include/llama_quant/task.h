// EvalTask: what an evaluation plugin implements (CoQA, perplexity, ...).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "llama_quant/api.h"
#include "llama_quant/generator.h"
#include "llama_quant/params.h"

namespace lq {

struct TaskContext {
  std::optional<int64_t> limit;        // evaluate only this many documents (e.g. stories)
  std::optional<uint64_t> limit_seed;  // with limit: a reproducible random subset instead of the first N
  uint64_t seed = 0;                   // the experiment's seed
  std::filesystem::path config_dir;    // folder of the YAML file, for resolving relative data paths
  ProgressFn progress;                 // (documents done, total)
};

struct TaskResult {
  // Aggregate metrics, flat: {"f1": 0.61, "f1_stderr": 0.02, "em": ..., "em_stderr": ...}.
  json metrics = json::object();
  // Anything else worth keeping: per-domain breakdown, counts, the effective settings.
  json details = json::object();
  // One record per evaluated sample (written as JSON lines next to the result).
  std::vector<json> samples;
};

class LQ_SDK_API EvalTask {
 public:
  virtual ~EvalTask() = default;

  // Reads and checks the task's `params`; every problem goes to `diag` with its location.
  virtual void configure(const Params& params, Diagnostics& diag) = 0;

  // Loads the data, generates through `generator`, scores. Throw lq::Error for bad data.
  virtual TaskResult evaluate(Generator& generator, const TaskContext& context) = 0;
};

}  // namespace lq
