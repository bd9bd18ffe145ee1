// The experiment runner in-process over the fake engine: a complete record, and failures that become
// error records naming their stage.
#include <ATen/Context.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "fake_engine.h"
#include "runner/atomic_file.h"
#include "runner/environment.h"
#include "runner/experiment_runner.h"
#include "runner_test_support.h"

namespace fs = std::filesystem;
using namespace lq;

TEST(ExperimentRunner, ProducesACompleteRecord) {
  fs::path dir = fake::scratch_dir();
  std::vector<std::string> stages;
  RunnerHooks hooks;
  hooks.on_stage = [&](const std::string& s) { stages.push_back(s); };
  int64_t progress_calls = 0;
  hooks.on_progress = [&](const std::string&, int64_t, int64_t) { ++progress_calls; };
  Experiment e = fake::fake_experiment("fake_ok", "none", dir);
  ResultRecord r = ExperimentRunner(fake::make_fake_engine, hooks).run(e, 3);

  ASSERT_TRUE(r.ok()) << r.error->stage << ": " << r.error->message;
  EXPECT_EQ(stages, (std::vector<std::string>{"configure", "load", "quantize", "evaluate:echo_qa",
                                              "benchmark", "cleanup"}));
  EXPECT_GT(progress_calls, 0);
  EXPECT_EQ(r.order, 3);
  EXPECT_EQ(r.device, "cpu");
  EXPECT_EQ(*r.size_bytes, 7 * 32 * 32 * 4);  // 7 fp32 layers of 32x32
  EXPECT_DOUBLE_EQ(*r.metric("echo_qa", "f1"), 1.0);
  EXPECT_EQ(r.tasks["echo_qa"]["samples"], 3);
  std::string samples = read_file(dir / r.tasks["echo_qa"]["samples_file"].get<std::string>());
  EXPECT_EQ(std::count(samples.begin(), samples.end(), '\n'), 3);
  EXPECT_EQ(r.quantization["backend"], "faulty");
  EXPECT_EQ(r.quantization["version"], "0.1");
  EXPECT_EQ(r.benchmark["prefill"].size(), 2u);
  EXPECT_EQ(r.benchmark["decode"].size(), 2u);
  for (const char* stage :
       {"configure", "load", "quantize", "load_quantize", "benchmark", "cleanup", "total"})
    EXPECT_TRUE(r.timings_s.contains(stage)) << stage;
  EXPECT_GT(r.memory["peak"]["peak_bytes"].get<int64_t>(), 0);
  EXPECT_EQ(r.environment["llama_quant_version"], LQ_VERSION);
  EXPECT_TRUE(r.environment.contains("git_commit"));
  EXPECT_EQ(r.environment["plugins"].size(), 2u);
  EXPECT_EQ(r.config_hash, e.config_hash);
  EXPECT_FALSE(r.started_at.empty());
  EXPECT_FALSE(r.finished_at.empty());
  // The record survives its own schema.
  EXPECT_NO_THROW(ResultRecord::from_json(r.to_json(), "r.json"));
}

TEST(ExperimentRunner, AThrowingBackendBecomesAnErrorRecordOfItsStage) {
  fs::path dir = fake::scratch_dir();
  std::vector<std::string> stages;
  RunnerHooks hooks;
  hooks.on_stage = [&](const std::string& s) { stages.push_back(s); };
  ResultRecord r =
      ExperimentRunner(fake::make_fake_engine, hooks).run(fake::fake_experiment("t", "throw", dir));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->stage, "quantize");
  EXPECT_NE(r.error->message.find("told to throw"), std::string::npos);
  EXPECT_EQ(stages.back(), "cleanup");  // cleanup runs after a failure
  EXPECT_TRUE(r.tasks.empty());
}

TEST(ExperimentRunner, ConfigurationProblemsFailTheConfigureStage) {
  fs::path dir = fake::scratch_dir();
  Experiment e = fake::fake_experiment("c", "none", dir);
  e.quantization.backend = "no_such_backend";
  ResultRecord r = ExperimentRunner(fake::make_fake_engine).run(e);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->stage, "configure");
  EXPECT_NE(r.error->message.find("no_such_backend"), std::string::npos);

  e = fake::fake_experiment("c", "none", dir);
  e.quantization.params =
      Params(json{{"fault", "sometimes"}}, "/quantization/params", std::make_shared<SourceMap>());
  r = ExperimentRunner(fake::make_fake_engine).run(e);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->stage, "configure");
  EXPECT_NE(r.error->message.find("'fault' must be one of"), std::string::npos);
}

TEST(ExperimentRunner, BaselineIsMarkedOrNamed) {
  Experiment e = fake::fake_experiment("fp16_baseline", "none", "out");
  EXPECT_TRUE(is_marked_baseline(e));
  e.name = "other";
  EXPECT_FALSE(is_marked_baseline(e));
  e.resolved["baseline"] = true;
  EXPECT_TRUE(is_marked_baseline(e));
}

// On CUDA the environment block names the card, whether kernels launch chained (on compute capability 9.0
// and newer unless LQ_CHAINED_LAUNCHES=0) and how many next products' weights decode asks L2 for
// (LQ_L2_PREFETCH), so that A/B runs are told apart by their records.
TEST(Environment, CudaNamesTheCardAndWhetherLaunchesChain) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device in this libtorch";
  const json env = collect_environment("cuda:0");
  ASSERT_TRUE(env.contains("gpu_name")) << env.dump();
  ASSERT_TRUE(env.contains("chained_launches")) << env.dump();
  const std::string cc = env["gpu_compute_capability"];
  const char* off = std::getenv("LQ_CHAINED_LAUNCHES");
  const bool want = std::stoi(cc.substr(0, cc.find('.'))) >= 9 && !(off && std::strcmp(off, "0") == 0);
  EXPECT_EQ(env["chained_launches"].get<bool>(), want) << env.dump();
  const char* depth = std::getenv("LQ_L2_PREFETCH");
  const bool set = depth && std::strlen(depth) == 1 && *depth >= '0' && *depth <= '3';
  ASSERT_TRUE(env.contains("l2_prefetch")) << env.dump();
  EXPECT_EQ(env["l2_prefetch"].get<int>(), set ? *depth - '0' : 1) << env.dump();
}
