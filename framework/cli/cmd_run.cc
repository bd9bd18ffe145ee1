// llama-quant run / sweep: run experiments, each in its own child process, and report the comparison.
// Also the child side of the sweep runner (`run --child-of PID ...`, see runner/child_protocol.h).
#include <algorithm>
#include <iostream>
#include <map>
#include <set>

#include "command.h"
#include "config/config_loader.h"
#include "config/experiment_builder.h"
#include "plugin/plugin_registry.h"
#include "report/report_writer.h"
#include "runner/child_process.h"
#include "runner/child_protocol.h"
#include "runner/sweep_runner.h"
#include "llama_quant/sha256.h"

namespace lq::cli {

namespace {

std::vector<int64_t> parse_gpus(const std::string& text) {
  std::vector<int64_t> gpus;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos)
      throw UsageError("--gpus takes GPU indices separated by commas (e.g. 0,1), got '" + text + "'");
    gpus.push_back(std::stoll(item));
    start = end + 1;
  }
  if (std::set<int64_t>(gpus.begin(), gpus.end()).size() != gpus.size())
    throw UsageError("--gpus names a GPU twice: '" + text + "'");
  return gpus;
}

int run_child_mode(Args& args, int64_t parent_pid) {
  ChildRequest request;
  request.parent_pid = parent_pid;
  auto result = args.option("result");
  request.order = args.integer("order").value_or(0);
  request.gpu = args.integer("gpu-index");
  auto files = args.finish();
  if (!result || files.size() != 1)
    throw UsageError("--child-of needs --result FILE and one experiment JSON file");
  request.result_file = *result;
  request.experiment_file = files[0];
  return run_child_request(request, make_llama_engine);
}

// The experiments named by --only, in their order; a name that matches none is a usage error.
std::vector<Experiment> select_named(std::vector<Experiment> all, const std::vector<std::string>& names) {
  std::string known;
  for (const auto& e : all) known += (known.empty() ? "" : ", ") + e.name;
  for (const auto& name : names)
    if (std::none_of(all.begin(), all.end(), [&](const Experiment& e) { return e.name == name; }))
      throw UsageError("--only " + name + ": no experiment has that name (there are: " + known + ")");
  std::vector<Experiment> out;
  for (auto& e : all)
    if (std::find(names.begin(), names.end(), e.name) != names.end()) out.push_back(std::move(e));
  return out;
}

// Loads every file with the overrides, validates everything (plugins included) before anything runs.
std::vector<Experiment> load_all(const std::vector<std::string>& files,
                                 const std::vector<std::string>& overrides,
                                 const std::vector<std::string>& plugin_dirs, std::optional<int64_t> limit) {
  Diagnostics diag;
  std::vector<Experiment> all;
  for (const auto& file : files) {
    auto experiments = load_experiments(file, overrides, diag);
    all.insert(all.end(), experiments.begin(), experiments.end());
  }
  if (diag.ok()) {
    PluginRegistry registry;
    for (const auto& dir : plugin_dirs) registry.scan(dir);
    registry.scan_default();
    validate_plugins(all, registry, diag);
  }
  std::map<std::string, std::string> seen;  // record path -> source file
  for (const auto& e : all) {
    std::string record = (e.output_dir / "records" / e.name).string();
    auto [it, inserted] = seen.emplace(record, e.source_file.string());
    if (!inserted)
      diag.error({e.source_file.string(), 0, 0}, "experiment name '" + e.name + "' is also used in " +
                                                     it->second +
                                                     " with the same output_dir; names must be distinct");
  }
  diag.throw_if_errors();
  for (auto& e : all) {
    for (auto& p : plugin_dirs) e.plugin_paths.emplace_back(p);
    if (!limit) continue;
    for (size_t i = 0; i < e.tasks.size(); ++i) {
      e.tasks[i].limit = *limit;
      e.resolved["tasks"][i]["limit"] = *limit;
    }
    e.config_hash = sha256_hex(canonical_dump(e.resolved));
  }
  return all;
}

int run_experiments(Args& args, bool single_sweep) {
  if (auto parent = args.integer("child-of")) return run_child_mode(args, *parent);
  auto overrides = args.options("set");
  auto plugin_dirs = args.options("plugin-path");
  if (auto out = args.option("out")) overrides.push_back("output_dir=" + *out);
  if (auto device = args.option("device")) overrides.push_back("device=" + *device);
  auto limit = args.integer("limit");
  if (limit && *limit < 1) throw UsageError("--limit must be at least 1");
  auto only = args.options("only");
  SweepOptions options;
  options.force = args.flag("force");
  if (auto gpus = args.option("gpus")) options.gpus = parse_gpus(*gpus);
  if (auto timeout = args.option("timeout")) {
    try {
      options.timeout_s = std::stod(*timeout);
    } catch (const std::exception&) {
      throw UsageError("--timeout takes seconds, got '" + *timeout + "'");
    }
    if (*options.timeout_s <= 0) throw UsageError("--timeout must be positive");
  }
  bool quiet = args.flag("q") || args.flag("quiet");
  if (auto style = args.option("progress"))
    options.progress = parse_progress_style(*style);
  else
    options.progress = quiet ? ProgressStyle::kNone : default_progress_style();
  auto files = args.finish();
  if (files.empty()) throw UsageError("give at least one experiment or sweep file");
  if (single_sweep && files.size() != 1) throw UsageError("sweep takes exactly one sweep file");

  std::vector<Experiment> experiments = load_all(files, overrides, plugin_dirs, limit);
  if (!only.empty()) experiments = select_named(std::move(experiments), only);
  install_interrupt_forwarding();
  SweepOutcome outcome = SweepRunner(options).run(experiments);

  // One report per output folder, over every record there (earlier runs included).
  std::set<std::filesystem::path> dirs;
  for (const auto& e : experiments) dirs.insert(e.output_dir);
  for (const auto& dir : dirs) {
    ReportOutput report = write_report(dir, load_records(dir));
    std::cout << report.table << "\nresults: " << dir.string()
              << " (summary.md, summary.csv, summary.json, records/, plots/)\n";
  }
  std::cerr << "ran " << outcome.ran << ", skipped " << outcome.skipped << " (already done), failed "
            << outcome.failed << "\n";
  return outcome.failed ? kExitFailed : kExitOk;
}

const char* const kOptions =
    "options:\n"
    "  --out DIR          results folder (sets output_dir; default results/)\n"
    "  --set KEY=VALUE    override a configuration value, e.g. quantization.params.blocksize=128 "
    "(repeatable)\n"
    "  --device DEV       cpu, cuda, cuda:N or auto (sets device)\n"
    "  --limit N          evaluate only the first N documents of each task\n"
    "  --only NAME        run only the experiment of this name, e.g. one variant of a sweep (repeatable)\n"
    "  --force            rerun experiments whose record exists with the same configuration\n"
    "  --gpus 0,1         one worker per GPU, each experiment pinned to one (CUDA_VISIBLE_DEVICES)\n"
    "  --timeout SECONDS  wall-clock limit per experiment (overrides timeout_s)\n"
    "  --plugin-path DIR  also load plugins from DIR (repeatable)\n"
    "  --progress STYLE   tty, plain or none (default: tty on a terminal, plain otherwise)\n"
    "  -v, -q             more or less logging\n\n"
    "Each experiment runs in its own child process: a crash, an out-of-memory or a timeout becomes an\n"
    "error record for it and the others still run. Records are written to DIR/records/ as each experiment\n"
    "finishes; a rerun skips experiments already done with the same configuration. Then the summary table\n"
    "is printed and DIR/summary.{md,csv,json} and DIR/plots/ are written.\n"
    "Exit codes: 0 all succeeded, 1 some experiment failed, 2 bad usage or configuration.\n";

const RegisterVerb run_verb{{"run", "run experiments (each file an experiment or a sweep) and compare them",
                             std::string("usage: llama-quant run FILE... [options]\n\n") + kOptions,
                             [](Args& args) { return run_experiments(args, false); }}};
const RegisterVerb sweep_verb{{"sweep", "run every experiment of a sweep file and compare them",
                               std::string("usage: llama-quant sweep SWEEP.yaml [options]\n\n") + kOptions,
                               [](Args& args) { return run_experiments(args, true); }}};

}  // namespace
}  // namespace lq::cli
