// ModelEngine: the seam between the experiment runner and the model. The runner owns the plugins, the
// stages, timing, error handling and the record; an engine only loads, quantizes, and exposes the
// quantized model as a Generator (for tasks) and a BenchTarget (for the benchmark suite).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "bench/bench_target.h"
#include "config/experiment.h"
#include "llama_quant/backend.h"
#include "llama_quant/generator.h"

namespace lq {

class ModelEngine {
 public:
  virtual ~ModelEngine() = default;

  // Reads the model files named by the experiment (weights stay on the host).
  virtual void load(const Experiment& experiment) = 0;
  // Builds the model on the experiment's device, handing each linear layer the backend wants to it.
  virtual void quantize(QuantBackend& backend) = 0;

  virtual std::string device() const = 0;    // resolved: "cpu", "cuda:0", ...
  virtual int64_t weight_bytes() const = 0;  // exact bytes of all weights, as the layers account them
  virtual json describe() const = 0;         // architecture, dtype, layer formats, for the record
  virtual Generator& generator() = 0;
  virtual BenchTarget& bench_target() = 0;

  // Frees the model; the runner then returns cached device memory to the driver.
  virtual void release() = 0;
};

using EngineFactory = std::function<std::unique_ptr<ModelEngine>()>;

// The engine of the Llama model in framework/src/model.
std::unique_ptr<ModelEngine> make_llama_engine();

}  // namespace lq
