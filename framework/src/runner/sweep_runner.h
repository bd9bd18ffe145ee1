// SweepRunner: runs a list of experiments, each in its own child process, with resume, timeouts and one
// worker per GPU. A crash, abort, timeout or error of one experiment becomes its error record; the others
// still run. Records are written atomically as each experiment finishes, so killing the sweep loses at
// most the experiments in flight.
#pragma once

#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/experiment.h"
#include "runner/progress.h"
#include "runner/result_record.h"

namespace lq {

struct SweepOptions {
  bool force = false;               // rerun experiments whose record already exists
  std::vector<int64_t> gpus;        // one worker per GPU, CUDA_VISIBLE_DEVICES pinned; empty: one worker
  std::optional<double> timeout_s;  // overrides each experiment's timeout_s
  std::string child_program;        // default: this executable
  std::vector<std::string> child_prefix{"run"};  // arguments before the child protocol's
  ProgressStyle progress = ProgressStyle::kPlain;
  std::ostream* log = &std::cerr;
};

struct SweepOutcome {
  std::vector<ResultRecord> records;  // in the experiments' order
  int64_t ran = 0, skipped = 0, failed = 0;
};

class SweepRunner {
 public:
  explicit SweepRunner(SweepOptions options);
  SweepOutcome run(const std::vector<Experiment>& experiments);

 private:
  ResultRecord run_one(const Experiment& e, int64_t order, std::optional<int64_t> gpu);
  void log_line(const std::string& line);

  SweepOptions options_;
  std::mutex log_mutex_;
};

// The record an experiment whose child died (or never wrote one) gets.
ResultRecord failed_child_record(const Experiment& e, int64_t order, const std::string& stage,
                                 const std::string& message, const std::string& signal, bool timed_out,
                                 const std::string& tail);

// "cuda:3" -> "cuda": the device an experiment pinned to one GPU through CUDA_VISIBLE_DEVICES uses.
std::string pinned_device(const std::string& device);

}  // namespace lq
