#include "runner/experiment_runner.h"

#include <chrono>
#include <memory>
#include <sstream>

#include "bench/benchmark_suite.h"
#include "bench/memory_stats.h"
#include "plugin/plugin_registry.h"
#include "runner/atomic_file.h"
#include "runner/environment.h"
#include "runner/output_layout.h"

namespace lq {
namespace {

// Thrown when a stage fails, carrying the stage name to the record.
struct StageFailure {
  std::string stage, message;
};

class StageClock {
 public:
  StageClock(ResultRecord& record, const RunnerHooks& hooks) : record_(record), hooks_(hooks) {}

  // Runs one stage: announces it, times it into record.timings_s, and turns any exception into a
  // StageFailure naming it.
  template <class F>
  void run(const std::string& stage, F&& body) {
    if (hooks_.on_stage) hooks_.on_stage(stage);
    auto start = std::chrono::steady_clock::now();
    try {
      body();
    } catch (const std::exception& e) {
      record_.timings_s[stage] = seconds_since(start);
      throw StageFailure{stage, e.what()};
    } catch (...) {
      record_.timings_s[stage] = seconds_since(start);
      throw StageFailure{stage, "unknown exception"};
    }
    record_.timings_s[stage] = seconds_since(start);
  }

  static double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

 private:
  ResultRecord& record_;
  const RunnerHooks& hooks_;
};

json plugin_entry(const PluginRegistry& registry, const std::string& name) {
  const LoadedPlugin* p = registry.find(name);
  if (!p) return {{"name", name}};
  return {{"name", p->name}, {"kind", p->kind}, {"version", p->version}, {"file", p->file.string()}};
}

std::string jsonl(const std::vector<json>& samples) {
  std::string out;
  for (const auto& s : samples) out += s.dump() + "\n";
  return out;
}

}  // namespace

bool is_marked_baseline(const Experiment& e) {
  auto it = e.resolved.is_object() ? e.resolved.find("baseline") : e.resolved.end();
  if (e.resolved.is_object() && it != e.resolved.end() && it->is_boolean()) return it->get<bool>();
  return e.name == "fp16_baseline";
}

ExperimentRunner::ExperimentRunner(EngineFactory engines, RunnerHooks hooks)
    : engines_(std::move(engines)), hooks_(std::move(hooks)) {}

ResultRecord ExperimentRunner::run(const Experiment& e, int64_t order) {
  ResultRecord r;
  r.name = e.name;
  r.description = e.description;
  r.order = order;
  r.baseline = is_marked_baseline(e);
  r.device = e.device;
  r.config = e.resolved;
  r.config_hash = e.config_hash;
  r.started_at = utc_timestamp();
  auto start = std::chrono::steady_clock::now();
  StageClock clock(r, hooks_);

  PluginRegistry registry;
  std::shared_ptr<QuantBackend> backend;
  std::vector<std::shared_ptr<EvalTask>> tasks;
  std::unique_ptr<ModelEngine> engine;
  json plugins = json::array();
  try {
    clock.run("configure", [&] {
      for (const auto& dir : e.plugin_paths) registry.scan(dir);
      registry.scan_default();
      Diagnostics diag;
      backend = registry.create_backend(e.quantization.backend);
      backend->configure(e.quantization.params, diag);
      plugins.push_back(plugin_entry(registry, e.quantization.backend));
      for (const auto& spec : e.tasks) {
        tasks.push_back(registry.create_task(spec.name));
        tasks.back()->configure(spec.params, diag);
        plugins.push_back(plugin_entry(registry, spec.name));
      }
      diag.throw_if_errors();
      r.quantization = {{"backend", e.quantization.backend},
                        {"version", plugins[0].value("version", "")},
                        {"settings", backend->settings()}};
      engine = engines_();
    });
    clock.run("load", [&] {
      reset_peak_memory(e.device == "auto" ? "cpu" : e.device);
      engine->load(e);
    });
    clock.run("quantize", [&] {
      engine->quantize(*backend);
      r.device = engine->device();
      r.size_bytes = engine->weight_bytes();
      r.model = engine->describe();
      r.memory["after_quantize"] = peak_memory(r.device);
    });
    r.timings_s["load_quantize"] = r.timings_s["load"].get<double>() + r.timings_s["quantize"].get<double>();
    for (size_t i = 0; i < tasks.size(); ++i) {
      const TaskSpec& spec = e.tasks[i];
      const std::string stage = "evaluate:" + spec.name;
      clock.run(stage, [&] {
        TaskContext ctx;
        ctx.limit = spec.limit;
        ctx.limit_seed = spec.limit_seed;
        ctx.seed = e.seed;
        ctx.config_dir = e.source_file.parent_path();
        if (hooks_.on_progress)
          ctx.progress = [&](int64_t done, int64_t total) { hooks_.on_progress(stage, done, total); };
        TaskResult result = tasks[i]->evaluate(engine->generator(), ctx);
        std::string file = layout::samples_relative(e.name, spec.name);
        if (!result.samples.empty()) write_file_atomically(e.output_dir / file, jsonl(result.samples));
        r.tasks[spec.name] = {{"metrics", result.metrics},
                              {"details", result.details},
                              {"samples", result.samples.size()},
                              {"samples_file", result.samples.empty() ? json(nullptr) : json(file)}};
      });
    }
    if (e.benchmark.enabled) {
      clock.run("benchmark", [&] {
        ProgressFn progress;
        if (hooks_.on_progress)
          progress = [&](int64_t done, int64_t total) { hooks_.on_progress("benchmark", done, total); };
        r.benchmark = run_benchmarks(engine->bench_target(), e.benchmark, e.seed, progress);
      });
    }
  } catch (const StageFailure& failure) {
    r.status = "error";
    r.error = StageError{failure.stage, failure.message, "", false, ""};
  }
  // Cleanup runs after failures too, so that an in-process sweep gets its device memory back.
  try {
    clock.run("cleanup", [&] {
      if (r.device != "auto") r.memory["peak"] = peak_memory(r.device);
      if (engine) engine->release();
      engine.reset();
      release_device_memory(r.device);
      if (r.device.rfind("cuda", 0) == 0) r.memory["after_cleanup"] = peak_memory(r.device);
    });
  } catch (const StageFailure& failure) {
    if (r.ok()) {
      r.status = "error";
      r.error = StageError{failure.stage, failure.message, "", false, ""};
    }
  }
  r.environment = collect_environment(r.device == "auto" ? "cpu" : r.device);
  r.environment["plugins"] = plugins;
  r.timings_s["total"] = StageClock::seconds_since(start);
  r.finished_at = utc_timestamp();
  return r;
}

}  // namespace lq
