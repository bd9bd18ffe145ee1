#include "runner/experiment_json.h"

#include <memory>

#include "config/experiment_builder.h"

namespace lq {
namespace {

template <class T>
T get(const json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key))
    throw Error(where + ": missing '" + key + "' in the experiment JSON");
  try {
    return j.at(key).get<T>();
  } catch (const json::exception&) {
    throw Error(where + ": '" + key + "' has the wrong type (" + Params::describe(j.at(key)) + ")");
  }
}

template <class T>
std::optional<T> get_optional(const json& j, const char* key, const std::string& where) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  return get<T>(j, key, where);
}

}  // namespace

json experiment_to_json(const Experiment& e) {
  json j = resolved_json(e);
  j["source_file"] = e.source_file.string();
  j["resolved"] = e.resolved;
  j["config_hash"] = e.config_hash;
  return j;
}

Experiment experiment_from_json(const json& j, const std::string& file) {
  if (!j.is_object()) throw Error(file + ": an experiment must be a JSON object");
  Experiment e;
  e.name = get<std::string>(j, "name", file);
  const std::string where = file + " (experiment '" + e.name + "')";
  e.description = get<std::string>(j, "description", where);
  e.source_file = get<std::string>(j, "source_file", where);
  // Plugins report parameter problems at a location; the best we still know is the YAML file.
  auto map = std::make_shared<SourceMap>();
  (*map)[""] = SourceLocation{e.source_file.string(), 0, 0};
  e.sources = map;
  json model = get<json>(j, "model", where);
  e.model.path = get<std::string>(model, "path", where);
  if (auto random = get_optional<json>(model, "random_weights", where))
    e.model.random_seed = get<uint64_t>(*random, "seed", where);
  if (auto tokenizer = get_optional<std::string>(model, "tokenizer", where)) e.model.tokenizer = *tokenizer;
  e.device = get<std::string>(j, "device", where);
  e.dtype = get<std::string>(j, "dtype", where);
  json quant = get<json>(j, "quantization", where);
  e.quantization.backend = get<std::string>(quant, "backend", where);
  e.quantization.params = Params(get<json>(quant, "params", where), "/quantization/params", map);
  json tasks = get<json>(j, "tasks", where);
  if (!tasks.is_array()) throw Error(where + ": 'tasks' must be a list");
  for (size_t i = 0; i < tasks.size(); ++i) {
    TaskSpec t;
    t.name = get<std::string>(tasks[i], "name", where);
    t.params = Params(get<json>(tasks[i], "params", where), "/tasks/" + std::to_string(i) + "/params", map);
    t.limit = get_optional<int64_t>(tasks[i], "limit", where);
    t.limit_seed = get_optional<uint64_t>(tasks[i], "limit_seed", where);
    e.tasks.push_back(std::move(t));
  }
  json b = get<json>(j, "benchmark", where);
  e.benchmark.enabled = get<bool>(b, "enabled", where);
  e.benchmark.prompt_lengths = get<std::vector<int64_t>>(b, "prompt_lengths", where);
  e.benchmark.batch_sizes = get<std::vector<int64_t>>(b, "batch_sizes", where);
  e.benchmark.decode_prompt_length = get<int64_t>(b, "decode_prompt_length", where);
  e.benchmark.new_tokens = get<int64_t>(b, "new_tokens", where);
  e.benchmark.warmup = get<int64_t>(b, "warmup", where);
  e.benchmark.warmup_s = get_optional<double>(b, "warmup_s", where).value_or(e.benchmark.warmup_s);
  e.benchmark.repetitions = get<int64_t>(b, "repetitions", where);
  json g = get<json>(j, "generation", where);
  e.generation.max_batch = get<int64_t>(g, "max_batch", where);
  e.generation.prefix_reuse = get<bool>(g, "prefix_reuse", where);
  e.generation.prefix_cache_mb = get<int64_t>(g, "prefix_cache_mb", where);
  e.generation.cuda_graphs = get<bool>(g, "cuda_graphs", where);
  e.generation.fused_kernels = get<bool>(g, "fused_kernels", where);
  e.seed = get<uint64_t>(j, "seed", where);
  e.output_dir = get<std::string>(j, "output_dir", where);
  e.timeout_s = get_optional<double>(j, "timeout_s", where);
  for (const auto& p : get<std::vector<std::string>>(j, "plugin_paths", where))
    e.plugin_paths.emplace_back(p);
  e.resolved = get<json>(j, "resolved", where);
  e.config_hash = get<std::string>(j, "config_hash", where);
  return e;
}

}  // namespace lq
