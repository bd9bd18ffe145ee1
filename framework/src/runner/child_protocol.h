// The protocol between the sweep runner and one experiment's child process.
//
// The parent starts `PROGRAM <prefix args> --child-of PID --result FILE --order N EXPERIMENT.json`. The
// child runs the experiment, writes its ResultRecord to FILE atomically and exits 0 (success) or 1
// (error record). While it runs it prints marker lines on stderr, which the parent reads to name the stage
// of a crash and to draw progress:
//   @@lq-stage <stage>
//   @@lq-progress <stage> <done> <total>
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "runner/model_engine.h"

namespace lq {

constexpr const char* kStageMarker = "@@lq-stage ";
constexpr const char* kProgressMarker = "@@lq-progress ";

struct ChildRequest {
  int64_t parent_pid = 0;
  std::string experiment_file;  // JSON written by experiment_to_json
  std::string result_file;
  int64_t order = 0;
  std::optional<int64_t> gpu;  // physical GPU index, recorded
};

// Runs the child side: dies with its parent, reads the experiment, runs it, writes the record.
// Returns the process exit code. Throws lq::Error for an unreadable experiment file.
int run_child_request(const ChildRequest& request, const EngineFactory& engines);

}  // namespace lq
