// ExperimentRunner: one experiment through configure -> load -> quantize -> evaluate (each task) ->
// benchmark -> cleanup, producing its ResultRecord. A failing stage becomes a record with status "error",
// the stage and the message; it never throws for a failing experiment.
#pragma once

#include <functional>
#include <string>

#include "config/experiment.h"
#include "runner/model_engine.h"
#include "runner/result_record.h"

namespace lq {

struct RunnerHooks {
  // A stage starts ("configure", "load", "quantize", "evaluate:<task>", "benchmark", "cleanup").
  std::function<void(const std::string& stage)> on_stage;
  // Progress within a stage: (stage, done, total).
  std::function<void(const std::string& stage, int64_t done, int64_t total)> on_progress;
};

class ExperimentRunner {
 public:
  explicit ExperimentRunner(EngineFactory engines, RunnerHooks hooks = {});

  // Per-sample task outputs are written under e.output_dir (see output_layout.h); the record itself is
  // the caller's to write.
  ResultRecord run(const Experiment& e, int64_t order = 0);

 private:
  EngineFactory engines_;
  RunnerHooks hooks_;
};

// Whether the resolved configuration marks this experiment as the baseline (`baseline: true`), or it is
// named "fp16_baseline".
bool is_marked_baseline(const Experiment& e);

}  // namespace lq
