#include <sys/prctl.h>
#include <signal.h>
#include <unistd.h>

#include <iostream>

#include "runner/atomic_file.h"
#include "runner/child_protocol.h"
#include "runner/experiment_json.h"
#include "runner/experiment_runner.h"

namespace lq {

int run_child_request(const ChildRequest& request, const EngineFactory& engines) {
  // An orphaned child would keep a GPU busy after its sweep was killed.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (request.parent_pid > 0 && ::getppid() != request.parent_pid) return 1;

  json j;
  try {
    j = json::parse(read_file(request.experiment_file));
  } catch (const json::exception& e) {
    throw Error(request.experiment_file + ": not valid JSON: " + e.what());
  }
  Experiment experiment = experiment_from_json(j, request.experiment_file);

  RunnerHooks hooks;
  hooks.on_stage = [](const std::string& stage) { std::cerr << kStageMarker << stage << std::endl; };
  hooks.on_progress = [](const std::string& stage, int64_t done, int64_t total) {
    std::cerr << kProgressMarker << stage << " " << done << " " << total << std::endl;
  };
  ExperimentRunner runner(engines, hooks);
  ResultRecord record = runner.run(experiment, request.order);
  record.gpu = request.gpu;
  if (record.error)
    std::cerr << "error in " << record.error->stage << ": " << record.error->message << std::endl;
  write_file_atomically(request.result_file, record.to_json().dump(2) + "\n");
  return record.ok() ? 0 : 1;
}

}  // namespace lq
