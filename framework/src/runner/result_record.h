// ResultRecord: what one experiment produced, written as one JSON file per experiment. The schema is
// documented field by field in README.md next to this header; bump kSchemaVersion when it changes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "llama_quant/params.h"

namespace lq {

constexpr int kResultSchemaVersion = 1;

// Why an experiment failed: the stage it was in and what went wrong. For a child process that died,
// also the signal (e.g. "SIGSEGV") or the timeout, and the end of what it wrote to stderr.
struct StageError {
  std::string stage;  // configure, load, quantize, evaluate:<task>, benchmark, cleanup, process
  std::string message;
  std::string signal;  // empty unless the child was killed by a signal
  bool timed_out = false;
  std::string stderr_tail;
};

struct ResultRecord {
  int schema_version = kResultSchemaVersion;
  std::string name;
  std::string description;
  int64_t order = 0;               // position in the run's list of experiments, for reports
  std::string status = "success";  // "success" or "error"
  std::optional<StageError> error;
  bool baseline = false;               // the reference the report compares against
  std::string device;                  // where it ran, e.g. "cuda:0" or "cpu"
  std::optional<int64_t> gpu;          // physical GPU index under --gpus
  std::optional<int64_t> size_bytes;   // exact bytes of the model's weights after quantization
  json model = json::object();         // architecture, dtype, layer formats
  json quantization = json::object();  // backend name, version, effective settings
  json tasks = json::object();         // task name -> {metrics, details, samples_file, samples}
  json benchmark = json::object();     // see bench/benchmark_suite.h
  json memory = json::object();        // peak memory, see bench/memory_stats.h
  json timings_s = json::object();     // stage -> seconds
  json config = json::object();        // the fully resolved experiment configuration
  std::string config_hash;
  json environment = json::object();    // versions, commit, compiler, hardware, plugins
  std::string started_at, finished_at;  // ISO 8601 UTC

  bool ok() const { return status == "success"; }
  std::optional<double> size_mb() const;  // size_bytes / 2^20
  // A task metric such as ("coqa", "f1"), when present and numeric.
  std::optional<double> metric(const std::string& task, const std::string& key) const;

  json to_json() const;
  // Throws lq::Error naming `file` and the field when the record is malformed or of another schema.
  static ResultRecord from_json(const json& j, const std::string& file);
};

// The current time as ISO 8601 UTC with milliseconds, e.g. "2024-05-01T12:00:00.123Z".
std::string utc_timestamp();

}  // namespace lq
