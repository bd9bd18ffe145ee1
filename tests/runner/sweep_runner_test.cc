// The sweep runner through lq_fake_runner: crashes, exceptions and timeouts become error records while
// the rest run; a killed sweep resumes without rerunning finished experiments or leaving partial files;
// GPU workers pin each experiment to one device.
#include <torch/cuda.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "runner/atomic_file.h"
#include "runner/child_process.h"
#include "runner/output_layout.h"
#include "runner/sweep_runner.h"
#include "runner_test_support.h"

namespace fs = std::filesystem;
using namespace lq;

namespace {

fs::path write_experiments(const fs::path& dir, const std::vector<Experiment>& experiments) {
  json list = json::array();
  for (const auto& e : experiments) list.push_back(experiment_to_json(e));
  fs::path file = dir / "experiments.json";
  write_file_atomically(file, list.dump());
  return file;
}

ResultRecord record_of(const fs::path& dir, const std::string& name) {
  fs::path file = layout::record(dir, name);
  return ResultRecord::from_json(json::parse(read_file(file)), file.string());
}

ChildOutcome run_fake_sweep(const fs::path& experiments, std::vector<std::string> extra = {}) {
  ChildSpec spec;
  spec.program = LQ_FAKE_RUNNER;
  spec.args = {"sweep", experiments.string()};
  spec.args.insert(spec.args.end(), extra.begin(), extra.end());
  spec.timeout_s = 120;
  return run_child(spec);
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t p = 0; (p = text.find(what, p)) != std::string::npos; p += what.size()) ++n;
  return n;
}

}  // namespace

TEST(SweepRunner, CrashThrowAndTimeoutBecomeErrorRecordsAndTheRestRun) {
  fs::path dir = fake::scratch_dir();
  fs::path file = write_experiments(
      dir, {fake::fake_experiment("ok_first", "none", dir), fake::fake_experiment("aborts", "abort", dir),
            fake::fake_experiment("segfaults", "segv", dir), fake::fake_experiment("throws", "throw", dir),
            fake::fake_experiment("hangs", "sleep", dir), fake::fake_experiment("ok_last", "none", dir)});
  ChildOutcome sweep = run_fake_sweep(file, {"--timeout", "3"});
  EXPECT_EQ(sweep.exit_code, 1) << sweep.tail;
  EXPECT_NE(sweep.tail.find("ran 6 skipped 0 failed 4"), std::string::npos) << sweep.tail;

  EXPECT_TRUE(record_of(dir, "ok_first").ok());
  EXPECT_TRUE(record_of(dir, "ok_last").ok());
  EXPECT_DOUBLE_EQ(*record_of(dir, "ok_last").metric("echo_qa", "em"), 1.0);
  EXPECT_EQ(record_of(dir, "ok_last").order, 5);

  ResultRecord aborts = record_of(dir, "aborts");
  ASSERT_FALSE(aborts.ok());
  EXPECT_EQ(aborts.error->signal, "SIGABRT");
  EXPECT_EQ(aborts.error->stage, "quantize");
  EXPECT_NE(aborts.error->message.find("killed by SIGABRT"), std::string::npos);
  EXPECT_NE(aborts.error->stderr_tail.find("@@lq-stage quantize"), std::string::npos);

  EXPECT_EQ(record_of(dir, "segfaults").error->signal, "SIGSEGV");

  ResultRecord throws = record_of(dir, "throws");
  ASSERT_FALSE(throws.ok());
  EXPECT_EQ(throws.error->stage, "quantize");
  EXPECT_TRUE(throws.error->signal.empty());
  EXPECT_NE(throws.error->message.find("told to throw"), std::string::npos);

  ResultRecord hangs = record_of(dir, "hangs");
  ASSERT_FALSE(hangs.ok());
  EXPECT_TRUE(hangs.error->timed_out);
  EXPECT_EQ(hangs.error->stage, "quantize");
  EXPECT_NE(hangs.error->message.find("timed out after 3 s"), std::string::npos);
  EXPECT_LT(hangs.timings_s["total"].get<double>(), 20.0);

  // Each experiment's output was logged; hand-over files are gone.
  EXPECT_TRUE(fs::exists(layout::log(dir, "aborts")));
  for (const auto& entry : fs::directory_iterator(layout::work_dir(dir))) ADD_FAILURE() << entry.path();
}

TEST(SweepRunner, ResumesAfterAKillWithoutRerunsOrPartialFiles) {
  fs::path dir = fake::scratch_dir();
  std::vector<Experiment> experiments;
  for (int i = 0; i < 5; ++i)
    experiments.push_back(fake::fake_experiment("e" + std::to_string(i), "none", dir, 0.6));
  fs::path file = write_experiments(dir, experiments);

  // Start the sweep, kill it (SIGKILL, no chance to clean up) once two records exist.
  std::vector<std::string> argv_s = {LQ_FAKE_RUNNER, "sweep", file.string()};
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, LQ_FAKE_RUNNER, nullptr, nullptr, argv.data(), environ), 0);
  auto records_now = [&] {
    int n = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(layout::records_dir(dir), ec))
      n += entry.path().extension() == ".json" && !is_atomic_temp_name(entry.path().filename().string());
    return n;
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (records_now() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  int done_before = records_now();
  ASSERT_GE(done_before, 2);
  ASSERT_LT(done_before, 5) << "the sweep finished before it could be killed";
  // Every record on disk is complete.
  for (const auto& entry : fs::directory_iterator(layout::records_dir(dir))) {
    if (is_atomic_temp_name(entry.path().filename().string())) continue;
    EXPECT_NO_THROW(record_of(dir, entry.path().stem().string()));
  }

  ChildOutcome rerun = run_fake_sweep(file);
  EXPECT_EQ(rerun.exit_code, 0) << rerun.tail;
  EXPECT_NE(
      rerun.tail.find("ran " + std::to_string(5 - done_before) + " skipped " + std::to_string(done_before)),
      std::string::npos)
      << rerun.tail;
  // Each experiment ran to completion exactly once: its log holds one cleanup stage (a run killed
  // mid-flight never reached it).
  for (const auto& e : experiments) {
    EXPECT_TRUE(record_of(dir, e.name).ok()) << e.name;
    EXPECT_EQ(count(read_file(layout::log(dir, e.name)), "@@lq-stage cleanup"), 1) << e.name;
  }
  for (const auto& entry : fs::directory_iterator(layout::records_dir(dir)))
    EXPECT_FALSE(is_atomic_temp_name(entry.path().filename().string())) << entry.path();

  // A third run does nothing; --force runs everything again.
  EXPECT_NE(run_fake_sweep(file).tail.find("ran 0 skipped 5"), std::string::npos);
  EXPECT_NE(run_fake_sweep(file, {"--force"}).tail.find("ran 5 skipped 0"), std::string::npos);
}

TEST(SweepRunner, AChangedConfigurationRunsAgain) {
  fs::path dir = fake::scratch_dir();
  Experiment e = fake::fake_experiment("x", "none", dir);
  EXPECT_EQ(run_fake_sweep(write_experiments(dir, {e})).exit_code, 0);
  e.config_hash = "changed";
  EXPECT_NE(run_fake_sweep(write_experiments(dir, {e})).tail.find("ran 1 skipped 0"), std::string::npos);
  EXPECT_EQ(record_of(dir, "x").config_hash, "changed");
}

TEST(SweepRunner, GpuWorkersPinEachExperimentAndMatchASequentialRun) {
  // Without CUDA the fake engine never touches a device; with it, "--gpus 0,1" needs two real GPUs.
  if (torch::cuda::is_available() && torch::cuda::device_count() < 2)
    GTEST_SKIP() << "needs 0 or at least 2 GPUs";
  fs::path parallel = fake::scratch_dir() / "parallel", sequential = parallel.parent_path() / "sequential";
  std::vector<Experiment> a, b;
  for (int i = 0; i < 4; ++i) {
    a.push_back(fake::fake_experiment("g" + std::to_string(i), "none", parallel));
    b.push_back(fake::fake_experiment("g" + std::to_string(i), "none", sequential));
    a.back().device = "cuda:1";  // pinned: becomes "cuda" under CUDA_VISIBLE_DEVICES
    a.back().resolved["device"] = "cuda:1";
  }
  ChildOutcome run = run_fake_sweep(write_experiments(parallel, a), {"--gpus", "0,1"});
  EXPECT_EQ(run.exit_code, 0) << run.tail;
  EXPECT_EQ(run_fake_sweep(write_experiments(sequential, b)).exit_code, 0);
  std::set<std::string> used;
  for (int i = 0; i < 4; ++i) {
    ResultRecord p = record_of(parallel, "g" + std::to_string(i)),
                 s = record_of(sequential, "g" + std::to_string(i));
    ASSERT_TRUE(p.ok());
    ASSERT_TRUE(p.gpu.has_value());
    EXPECT_EQ(p.model["cuda_visible_devices"], std::to_string(*p.gpu));
    used.insert(p.model["cuda_visible_devices"].get<std::string>());
    EXPECT_EQ(p.tasks, s.tasks);
    EXPECT_EQ(p.size_bytes, s.size_bytes);
    EXPECT_EQ(p.config["device"], "cuda:1");  // recorded as configured
  }
  EXPECT_EQ(used, (std::set<std::string>{"0", "1"}));
}

TEST(ChildProcess, ReportsExitCodesSignalsAndMissingPrograms) {
  ChildSpec spec;
  spec.program = "/bin/sh";
  spec.args = {"-c", "echo out; echo err >&2; exit 3"};
  std::vector<std::string> lines;
  spec.on_line = [&](const std::string& l) { lines.push_back(l); };
  ChildOutcome o = run_child(spec);
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_EQ(lines, (std::vector<std::string>{"out", "err"}));
  EXPECT_EQ(o.describe(std::nullopt), "exit code 3");
  spec.args = {"-c", "kill -SEGV $$"};
  EXPECT_EQ(run_child(spec).signal, SIGSEGV);
  spec.args = {"-c", "sleep 30 & sleep 30"};  // the grandchild dies with its group
  spec.timeout_s = 0.3;
  o = run_child(spec);
  EXPECT_TRUE(o.timed_out);
  EXPECT_LT(o.seconds, 10);
  spec.program = "/no/such/program";
  EXPECT_THROW(run_child(spec), Error);
  EXPECT_EQ(signal_name(SIGABRT), "SIGABRT");
}
