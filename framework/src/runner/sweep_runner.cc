#include "runner/sweep_runner.h"

#include <unistd.h>

#include <atomic>
#include <boost/dll/runtime_symbol_info.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "runner/atomic_file.h"
#include "runner/child_process.h"
#include "runner/child_protocol.h"
#include "runner/environment.h"
#include "runner/experiment_json.h"
#include "runner/experiment_runner.h"
#include "runner/output_layout.h"

namespace fs = std::filesystem;

namespace lq {
namespace {

std::optional<ResultRecord> existing_record(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  try {
    return ResultRecord::from_json(json::parse(read_file(file)), file.string());
  } catch (const std::exception&) {
    return std::nullopt;  // unreadable: run the experiment again and replace it
  }
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

}  // namespace

std::string pinned_device(const std::string& device) {
  return device.rfind("cuda:", 0) == 0 ? "cuda" : device;
}

ResultRecord failed_child_record(const Experiment& e, int64_t order, const std::string& stage,
                                 const std::string& message, const std::string& signal, bool timed_out,
                                 const std::string& tail) {
  ResultRecord r;
  r.name = e.name;
  r.description = e.description;
  r.order = order;
  r.status = "error";
  r.error = StageError{stage, message, signal, timed_out, tail};
  r.baseline = is_marked_baseline(e);
  r.device = e.device;
  r.config = e.resolved;
  r.config_hash = e.config_hash;
  r.environment = collect_environment("cpu");
  return r;
}

SweepRunner::SweepRunner(SweepOptions options) : options_(std::move(options)) {
  if (options_.child_program.empty()) options_.child_program = boost::dll::program_location().string();
  if (options_.gpus.size() > 1 && options_.progress == ProgressStyle::kTerminal)
    options_.progress = ProgressStyle::kPlain;  // several workers cannot share one redrawn line
}

void SweepRunner::log_line(const std::string& line) {
  if (!options_.log) return;
  std::lock_guard<std::mutex> lock(log_mutex_);
  *options_.log << line << std::endl;
}

ResultRecord SweepRunner::run_one(const Experiment& original, int64_t order, std::optional<int64_t> gpu) {
  Experiment e = original;
  std::map<std::string, std::string> env;
  if (gpu) {
    env["CUDA_VISIBLE_DEVICES"] = std::to_string(*gpu);
    e.device = pinned_device(e.device);
  }
  const fs::path work = layout::work_dir(e.output_dir);
  const fs::path experiment_file = work / (e.name + ".experiment.json");
  const fs::path result_file = work / (e.name + ".result.json");
  std::error_code ec;
  fs::remove(result_file, ec);
  write_file_atomically(experiment_file, experiment_to_json(e).dump(2));
  fs::create_directories(layout::log(e.output_dir, e.name).parent_path(), ec);

  ChildSpec spec;
  spec.program = options_.child_program;
  spec.args = options_.child_prefix;
  spec.args.insert(spec.args.end(), {"--child-of", std::to_string(::getpid()), "--result",
                                     result_file.string(), "--order", std::to_string(order)});
  if (gpu) spec.args.insert(spec.args.end(), {"--gpu-index", std::to_string(*gpu)});
  spec.args.push_back(experiment_file.string());
  spec.env = env;
  spec.timeout_s = options_.timeout_s ? options_.timeout_s : e.timeout_s;
  spec.log_file = layout::log(e.output_dir, e.name);

  std::string stage = "start";
  std::unique_ptr<ProgressLine> progress;
  std::string progress_stage;
  spec.on_line = [&](const std::string& line) {
    if (line.rfind(kStageMarker, 0) == 0) {
      stage = line.substr(std::strlen(kStageMarker));
      {
        std::lock_guard<std::mutex> lock(log_mutex_);
        progress.reset();
      }
      if (options_.progress != ProgressStyle::kNone) log_line(e.name + ": " + stage);
      return;
    }
    if (line.rfind(kProgressMarker, 0) == 0) {
      std::istringstream in(line.substr(std::strlen(kProgressMarker)));
      std::string what;
      int64_t done = 0, total = 0;
      if (!(in >> what >> done >> total)) return;
      std::lock_guard<std::mutex> lock(log_mutex_);
      if (!progress || progress_stage != what) {
        progress = std::make_unique<ProgressLine>(options_.log ? *options_.log : std::cerr, options_.progress,
                                                  e.name + " " + what);
        progress_stage = what;
      }
      progress->update(done, total);
      return;
    }
    if (options_.progress != ProgressStyle::kNone) log_line("[" + e.name + "] " + line);
  };
  ChildOutcome outcome = run_child(spec);
  {
    std::lock_guard<std::mutex> lock(log_mutex_);
    progress.reset();
  }

  ResultRecord record;
  std::optional<ResultRecord> written = existing_record(result_file);
  if (outcome.timed_out || outcome.signal || !written) {
    std::string message = outcome.describe(spec.timeout_s);
    if (!outcome.timed_out && !outcome.signal) message += " without writing a result";
    record = failed_child_record(e, order, stage, message, outcome.signal ? signal_name(outcome.signal) : "",
                                 outcome.timed_out, outcome.tail);
    record.timings_s["total"] = outcome.seconds;
  } else {
    record = *written;
  }
  record.config = original.resolved;  // as configured, before pinning to a GPU
  record.config_hash = original.config_hash;
  record.gpu = gpu;
  write_file_atomically(layout::record(e.output_dir, e.name), record.to_json().dump(2) + "\n");
  fs::remove(experiment_file, ec);
  fs::remove(result_file, ec);
  return record;
}

SweepOutcome SweepRunner::run(const std::vector<Experiment>& experiments) {
  SweepOutcome outcome;
  std::vector<std::optional<ResultRecord>> records(experiments.size());
  std::vector<size_t> todo;
  for (size_t i = 0; i < experiments.size(); ++i) {
    const Experiment& e = experiments[i];
    std::error_code ec;
    fs::create_directories(layout::records_dir(e.output_dir), ec);
    remove_stale_temp_files(layout::records_dir(e.output_dir));
    remove_stale_temp_files(layout::work_dir(e.output_dir));
    auto existing = existing_record(layout::record(e.output_dir, e.name));
    if (!options_.force && existing && existing->config_hash == e.config_hash) {
      log_line("[skip] " + e.name + ": result exists with the same configuration (" + existing->status +
               "); --force reruns it");
      records[i] = std::move(*existing);
      ++outcome.skipped;
      continue;
    }
    todo.push_back(i);
  }

  std::atomic<size_t> next{0};
  std::atomic<int64_t> finished{0};
  auto start = std::chrono::steady_clock::now();
  auto worker = [&](std::optional<int64_t> gpu) {
    for (size_t k; (k = next.fetch_add(1)) < todo.size();) {
      size_t i = todo[k];
      const Experiment& e = experiments[i];
      log_line("[start] " + e.name + (gpu ? " on GPU " + std::to_string(*gpu) : ""));
      ResultRecord r;
      try {
        r = run_one(e, static_cast<int64_t>(i), gpu);
      } catch (const std::exception& ex) {  // the child could not even be started
        r = failed_child_record(e, static_cast<int64_t>(i), "start", ex.what(), "", false, "");
        try {
          write_file_atomically(layout::record(e.output_dir, e.name), r.to_json().dump(2) + "\n");
        } catch (const std::exception&) {
        }
      }
      int64_t done = ++finished;
      double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::string status = r.ok() ? "success" : "error in " + r.error->stage + ": " + r.error->message;
      log_line("[" + ProgressLine::format(done, static_cast<int64_t>(todo.size()), elapsed) + "] " + e.name +
               ": " + status + " (" + seconds_text(r.timings_s.value("total", 0.0)) + ")");
      records[i] = std::move(r);
    }
  };
  if (options_.gpus.empty()) {
    worker(std::nullopt);
  } else {
    std::vector<std::thread> threads;
    for (int64_t gpu : options_.gpus) threads.emplace_back(worker, gpu);
    for (auto& t : threads) t.join();
  }
  outcome.ran = static_cast<int64_t>(todo.size());
  for (auto& r : records) {
    if (!r->ok()) ++outcome.failed;
    outcome.records.push_back(std::move(*r));
  }
  return outcome;
}

}  // namespace lq
