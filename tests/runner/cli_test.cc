// The `run`, `sweep` and `report` verbs end to end: YAML through config/, child processes of the real
// binary, the Llama engine on a tiny random-weights model, records and report files, exit codes.
#include <gtest/gtest.h>

#include "report/report_writer.h"
#include "runner/atomic_file.h"
#include "runner/child_process.h"
#include "runner/output_layout.h"
#include "runner_test_support.h"

namespace fs = std::filesystem;
using namespace lq;

namespace {

const fs::path kData = fs::path(LQ_TEST_DIR) / "runner" / "data";

ChildOutcome cli(std::vector<std::string> args) {
  ChildSpec spec;
  spec.program = LQ_CLI;
  spec.args = std::move(args);
  spec.timeout_s = 300;
  return run_child(spec);
}

ResultRecord record_of(const fs::path& dir, const std::string& name) {
  fs::path file = layout::record(dir, name);
  return ResultRecord::from_json(json::parse(read_file(file)), file.string());
}

}  // namespace

TEST(Cli, RunsATinyRandomModelAndResumes) {
  fs::path out = fake::scratch_dir();
  ChildOutcome run =
      cli({"run", (kData / "tiny_fp32.yaml").string(), "--out", out.string(), "--progress", "plain"});
  ASSERT_EQ(run.exit_code, 0) << run.tail;
  ResultRecord r = record_of(out, "tiny_fp32");
  ASSERT_TRUE(r.ok()) << r.error->stage << ": " << r.error->message;
  EXPECT_EQ(r.device, "cpu");
  EXPECT_GT(*r.size_bytes, 0);
  EXPECT_EQ(r.benchmark["prefill"].size(), 2u);
  EXPECT_EQ(r.benchmark["decode"].size(), 2u);
  EXPECT_EQ(r.quantization["backend"], "fp16");
  EXPECT_FALSE(r.config_hash.empty());
  EXPECT_NE(run.tail.find("tiny_fp32 *"), std::string::npos) << run.tail;  // the table, as baseline
  EXPECT_TRUE(fs::exists(out / "summary.md"));

  ChildOutcome again = cli({"run", (kData / "tiny_fp32.yaml").string(), "--out", out.string()});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.tail.find("ran 0, skipped 1"), std::string::npos) << again.tail;

  fs::remove(out / "summary.csv");
  EXPECT_EQ(cli({"report", out.string()}).exit_code, 0);
  EXPECT_TRUE(fs::exists(out / "summary.csv"));
}

TEST(Cli, ASweepWithFailuresExitsOneAndKeepsEveryRecord) {
  fs::path out = fake::scratch_dir();
  ChildOutcome run = cli({"sweep", (kData / "tiny_sweep.yaml").string(), "--out", out.string(),
                          "--plugin-path", LQ_RUNNER_TEST_PLUGIN_DIR, "-q"});
  EXPECT_EQ(run.exit_code, 1) << run.tail;
  EXPECT_TRUE(record_of(out, "tiny-none").ok());
  EXPECT_EQ(record_of(out, "tiny-throw").error->stage, "quantize");
  EXPECT_EQ(record_of(out, "tiny-abort").error->signal, "SIGABRT");
  std::string table = read_file(out / "summary.txt");
  EXPECT_NE(table.find("tiny-abort failed in quantize: killed by SIGABRT"), std::string::npos) << table;
}

TEST(Cli, BadUsageAndConfigurationExitTwoBeforeAnythingRuns) {
  fs::path out = fake::scratch_dir();
  EXPECT_EQ(cli({"run"}).exit_code, 2);
  EXPECT_EQ(cli({"run", (kData / "tiny_fp32.yaml").string(), "--gpus", "0,x"}).exit_code, 2);
  ChildOutcome bad = cli({"run", (kData / "tiny_fp32.yaml").string(), "--out", out.string(), "--set",
                          "quantization.backend=no_such_backend"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.tail.find("no_such_backend"), std::string::npos) << bad.tail;
  EXPECT_FALSE(fs::exists(layout::records_dir(out)));
  EXPECT_EQ(cli({"report", (out / "missing").string()}).exit_code, 2);
}
