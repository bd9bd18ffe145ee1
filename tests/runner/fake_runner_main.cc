// lq_fake_runner: the sweep runner and its child side over the fake engine, as a program, so the tests
// can crash children, time them out and kill a whole sweep.
//   lq_fake_runner sweep EXPERIMENTS.json [--gpus 0,1] [--timeout S] [--force]   exit 0 / 1 like `run`
//   lq_fake_runner run --child-of PID --result FILE --order N EXPERIMENT.json     (started by the sweep)
#include <iostream>

#include "fake_engine.h"
#include "llama_quant/diagnostics.h"
#include "runner/atomic_file.h"
#include "runner/child_process.h"
#include "runner/child_protocol.h"
#include "runner/experiment_json.h"
#include "runner/sweep_runner.h"
#include "util/args.h"

namespace {

int sweep(lq::Args& args) {
  lq::SweepOptions options;
  options.force = args.flag("force");
  if (auto t = args.option("timeout")) options.timeout_s = std::stod(*t);
  if (auto g = args.option("gpus"))
    for (size_t start = 0; start < g->size();) {
      size_t end = std::min(g->find(',', start), g->size());
      options.gpus.push_back(std::stoll(g->substr(start, end - start)));
      start = end + 1;
    }
  auto files = args.finish();
  lq::json list = lq::json::parse(lq::read_file(files.at(0)));
  std::vector<lq::Experiment> experiments;
  for (const auto& j : list) experiments.push_back(lq::experiment_from_json(j, files[0]));
  lq::install_interrupt_forwarding();
  auto outcome = lq::SweepRunner(options).run(experiments);
  std::cout << "ran " << outcome.ran << " skipped " << outcome.skipped << " failed " << outcome.failed
            << std::endl;
  return outcome.failed ? 1 : 0;
}

int child(lq::Args& args) {
  lq::ChildRequest request;
  request.parent_pid = args.integer("child-of").value_or(0);
  request.result_file = args.option("result").value_or("");
  request.order = args.integer("order").value_or(0);
  request.gpu = args.integer("gpu-index");
  request.experiment_file = args.finish().at(0);
  return lq::run_child_request(request, lq::fake::make_fake_engine);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  std::string verb = argv[1];
  try {
    lq::Args args(argc - 2, argv + 2);
    if (verb == "sweep") return sweep(args);
    if (verb == "run") return child(args);
  } catch (const std::exception& e) {
    std::cerr << "lq_fake_runner: " << e.what() << std::endl;
  }
  return 2;
}
