// Helpers shared by the runner tests: experiments over the fake engine and the test plugins, and a
// scratch folder per test.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "config/experiment.h"
#include "runner/experiment_json.h"
#include "llama_quant/sha256.h"
#include "../support/scratch_root.h"

namespace lq::fake {

inline std::filesystem::path scratch_dir() {
  static const lq::test::ScratchRoot root("lq_runner_test_");
  return root.for_current_test();
}

// An experiment over the fake engine with the `faulty` backend set to `fault` and the echo_qa task.
inline Experiment fake_experiment(const std::string& name, const std::string& fault,
                                  const std::filesystem::path& out, double sleep_s = 0) {
  Experiment e;
  e.name = name;
  e.description = "fake " + fault;
  e.model.path = "fake-model";
  e.device = "cpu";
  e.dtype = "float32";
  json params = {{"fault", fault}};
  if (sleep_s > 0) params["sleep_s"] = sleep_s;
  e.quantization.backend = "faulty";
  e.quantization.params = Params(params, "/quantization/params", std::make_shared<SourceMap>());
  TaskSpec task;
  task.name = "echo_qa";
  task.params = Params(json{{"documents", 3}}, "/tasks/0/params", std::make_shared<SourceMap>());
  e.tasks.push_back(task);
  e.benchmark.prompt_lengths = {8, 16};
  e.benchmark.batch_sizes = {1, 2};
  e.benchmark.decode_prompt_length = 8;
  e.benchmark.new_tokens = 4;
  e.benchmark.warmup = 1;
  e.benchmark.warmup_s = 0;
  e.benchmark.repetitions = 3;
  e.seed = 7;
  e.output_dir = out;
  e.plugin_paths = {LQ_RUNNER_TEST_PLUGIN_DIR};
  e.source_file = out / (name + ".yaml");
  e.resolved = experiment_to_json(e);
  e.resolved.erase("resolved");
  e.resolved.erase("config_hash");
  e.config_hash = sha256_hex(e.resolved.dump());
  return e;
}

}  // namespace lq::fake
