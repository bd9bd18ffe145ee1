#include "config/experiment_builder.h"

#include <regex>

#include "llama_quant/sha256.h"

namespace lq {
namespace {

namespace fs = std::filesystem;

// Typed reads of a Document, reporting missing keys and wrong types at the right location.
class Checker {
 public:
  Checker(const Document& doc, Diagnostics& diag) : doc_(doc), diag_(diag) {}

  void error(const std::string& pointer, const std::string& message) const {
    diag_.error(doc_.where(pointer), message);
  }

  // The value at `pointer`, nullptr when absent or null (reported when required).
  const json* get(const std::string& pointer, bool required) const {
    const json* v = doc_.find(pointer);
    if (v && !v->is_null()) return v;
    if (required) {
      std::string parent = pointer.substr(0, pointer.rfind('/'));
      diag_.error(v ? doc_.where(pointer) : doc_.where(parent),
                  "missing required key '" + pointer_dotted(pointer) + "'");
    }
    return nullptr;
  }

  bool mapping(const std::string& pointer, bool required) const {
    const json* v = get(pointer, required);
    if (v && !v->is_object()) wrong(pointer, "a mapping", *v);
    return v && v->is_object();
  }

  // Reports each key of the mapping at `pointer` that is not in `known`.
  void only_keys(const std::string& pointer, const std::vector<std::string>& known) const {
    const json* v = doc_.find(pointer);
    if (!v || !v->is_object()) return;
    for (auto it = v->begin(); it != v->end(); ++it) {
      if (std::find(known.begin(), known.end(), it.key()) != known.end()) continue;
      std::string where = pointer.empty() ? "" : " in '" + pointer_dotted(pointer) + "'";
      diag_.error(doc_.key_where(pointer_append(pointer, it.key())),
                  "unknown key '" + it.key() + "'" + where + did_you_mean(it.key(), known));
    }
  }

  std::optional<std::string> string(const std::string& pointer, bool required = false) const {
    const json* v = get(pointer, required);
    if (!v) return std::nullopt;
    if (!v->is_string()) return wrong(pointer, "a string", *v), std::nullopt;
    return v->get<std::string>();
  }

  std::optional<bool> boolean(const std::string& pointer) const {
    const json* v = get(pointer, false);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) return wrong(pointer, "true or false", *v), std::nullopt;
    return v->get<bool>();
  }

  std::optional<int64_t> integer(const std::string& pointer, int64_t min, bool required = false) const {
    const json* v = get(pointer, required);
    if (!v) return std::nullopt;
    return integer_value(pointer, *v, min);
  }

  std::optional<uint64_t> unsigned_integer(const std::string& pointer, bool required = false) const {
    const json* v = get(pointer, required);
    if (!v) return std::nullopt;
    if (v->is_number_unsigned()) return v->get<uint64_t>();
    if (v->is_number_integer() && v->get<int64_t>() >= 0) return uint64_t(v->get<int64_t>());
    return wrong(pointer, "a non-negative integer", *v), std::nullopt;
  }

  // A number > 0, or >= 0 where zero is allowed.
  std::optional<double> number(const std::string& pointer, bool zero_allowed) const {
    const json* v = get(pointer, false);
    if (!v) return std::nullopt;
    if (!v->is_number() || v->get<double>() < 0 || (!zero_allowed && v->get<double>() == 0))
      return wrong(pointer, zero_allowed ? "a non-negative number" : "a positive number", *v), std::nullopt;
    return v->get<double>();
  }

  // A non-empty list of integers >= min.
  std::optional<std::vector<int64_t>> integers(const std::string& pointer, int64_t min) const {
    const json* v = get(pointer, false);
    if (!v) return std::nullopt;
    if (!v->is_array() || v->empty()) return wrong(pointer, "a non-empty list of integers", *v), std::nullopt;
    std::vector<int64_t> out;
    for (size_t i = 0; i < v->size(); ++i) {
      auto n = integer_value(pointer_append(pointer, std::to_string(i)), (*v)[i], min);
      if (!n) return std::nullopt;
      out.push_back(*n);
    }
    return out;
  }

  std::optional<std::vector<std::string>> strings(const std::string& pointer) const {
    const json* v = get(pointer, false);
    if (!v) return std::nullopt;
    if (!v->is_array()) return wrong(pointer, "a list of strings", *v), std::nullopt;
    std::vector<std::string> out;
    for (size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string())
        return wrong(pointer_append(pointer, std::to_string(i)), "a string", (*v)[i]), std::nullopt;
      out.push_back((*v)[i].get<std::string>());
    }
    return out;
  }

  // A path written at `pointer`, resolved against the folder of the file that wrote it.
  fs::path resolve(const std::string& pointer, const std::string& written) const {
    fs::path p(written);
    if (p.is_relative()) {
      SourceLocation at = doc_.where(pointer);
      if (at.line > 0) p = fs::path(at.file).parent_path() / p;
    }
    return fs::absolute(p).lexically_normal();
  }

 private:
  void wrong(const std::string& pointer, const std::string& expected, const json& got) const {
    error(pointer,
          "'" + pointer_dotted(pointer) + "' must be " + expected + ", got " + Params::describe(got));
  }

  std::optional<int64_t> integer_value(const std::string& pointer, const json& v, int64_t min) const {
    if (!v.is_number_integer() || v.is_number_unsigned() || v.get<int64_t>() < min) {
      wrong(pointer, min == 0 ? "a non-negative integer" : "an integer >= " + std::to_string(min), v);
      return std::nullopt;
    }
    return v.get<int64_t>();
  }

  const Document& doc_;
  Diagnostics& diag_;
};

json optional_json(const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); }
json optional_json(const std::optional<uint64_t>& v) { return v ? json(*v) : json(nullptr); }
json optional_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

json resolved_json(const Experiment& e) {
  json tasks = json::array();
  for (const auto& t : e.tasks)
    tasks.push_back({{"name", t.name},
                     {"params", t.params.json_value()},
                     {"limit", optional_json(t.limit)},
                     {"limit_seed", optional_json(t.limit_seed)}});
  json plugin_paths = json::array();
  for (const auto& p : e.plugin_paths) plugin_paths.push_back(p.generic_string());
  const BenchmarkSpec& b = e.benchmark;
  return {
      {"name", e.name},
      {"description", e.description},
      {"model",
       {{"path", e.model.path.generic_string()},
        {"random_weights", e.model.random_seed ? json{{"seed", *e.model.random_seed}} : json(nullptr)},
        {"tokenizer", e.model.tokenizer ? json(e.model.tokenizer->generic_string()) : json(nullptr)}}},
      {"device", e.device},
      {"dtype", e.dtype},
      {"quantization", {{"backend", e.quantization.backend}, {"params", e.quantization.params.json_value()}}},
      {"tasks", tasks},
      {"benchmark",
       {{"enabled", b.enabled},
        {"prompt_lengths", b.prompt_lengths},
        {"batch_sizes", b.batch_sizes},
        {"decode_prompt_length", b.decode_prompt_length},
        {"new_tokens", b.new_tokens},
        {"warmup", b.warmup},
        {"warmup_s", b.warmup_s},
        {"repetitions", b.repetitions}}},
      {"generation",
       {{"max_batch", e.generation.max_batch},
        {"prefix_reuse", e.generation.prefix_reuse},
        {"prefix_cache_mb", e.generation.prefix_cache_mb},
        {"cuda_graphs", e.generation.cuda_graphs},
        {"fused_kernels", e.generation.fused_kernels}}},
      {"seed", e.seed},
      {"output_dir", e.output_dir.generic_string()},
      {"timeout_s", optional_json(e.timeout_s)},
      {"plugin_paths", plugin_paths}};
}

namespace {

void read_model(const Checker& c, Experiment& e) {
  if (!c.mapping("/model", true)) return;
  c.only_keys("/model", {"path", "random_weights", "tokenizer"});
  auto path = c.string("/model/path", true);
  if (path) e.model.path = c.resolve("/model/path", *path);
  if (auto tokenizer = c.string("/model/tokenizer")) {
    e.model.tokenizer = c.resolve("/model/tokenizer", *tokenizer);
    std::error_code ec;
    if (!fs::exists(*e.model.tokenizer, ec))
      c.error("/model/tokenizer", "model.tokenizer '" + *tokenizer + "' not found (looked for " +
                                      e.model.tokenizer->generic_string() +
                                      "); expected a tokenizer.json, a folder with one, or a GGUF file");
  }
  if (c.mapping("/model/random_weights", false)) {
    c.only_keys("/model/random_weights", {"seed"});
    e.model.random_seed = c.unsigned_integer("/model/random_weights/seed", true);
  }
  if (!path) return;
  bool is_config = fs::path(*path).filename() == "config.json";
  if (e.model.random_seed && !is_config)
    c.error("/model/path", "random_weights needs model.path to name a config.json, got '" + *path + "'");
  if (!e.model.random_seed && is_config)
    c.error("/model/path",
            "a config.json alone has no weights: name the model's folder, or add "
            "'random_weights: {seed: N}' to draw them at random");
}

void read_quantization(const Checker& c, const Document& doc, const std::shared_ptr<const SourceMap>& map,
                       Experiment& e) {
  if (!c.mapping("/quantization", true)) return;
  c.only_keys("/quantization", {"backend", "params"});
  e.quantization.backend = c.string("/quantization/backend", true).value_or("");
  json params = json::object();
  if (c.mapping("/quantization/params", false)) params = *doc.find("/quantization/params");
  e.quantization.params = Params(params, "/quantization/params", map);
}

void read_tasks(const Checker& c, const Document& doc, const std::shared_ptr<const SourceMap>& map,
                Experiment& e) {
  const json* tasks = c.get("/tasks", false);
  if (!tasks) return;
  if (!tasks->is_array())
    return c.error("/tasks", "'tasks' must be a list of tasks, got " + Params::describe(*tasks));
  for (size_t i = 0; i < tasks->size(); ++i) {
    std::string at = pointer_append("/tasks", std::to_string(i));
    if (!c.mapping(at, true)) continue;
    c.only_keys(at, {"name", "params", "limit", "limit_seed"});
    TaskSpec t;
    t.name = c.string(at + "/name", true).value_or("");
    json params = json::object();
    if (c.mapping(at + "/params", false)) params = *doc.find(at + "/params");
    t.params = Params(params, at + "/params", map);
    t.limit = c.integer(at + "/limit", 1);
    t.limit_seed = c.unsigned_integer(at + "/limit_seed");
    if (t.limit_seed && !doc.find(at + "/limit"))
      c.error(at + "/limit_seed", "limit_seed picks which 'limit' documents are evaluated; set limit too");
    for (const auto& other : e.tasks)
      if (!t.name.empty() && other.name == t.name)
        c.error(at + "/name", "task '" + t.name + "' is listed twice");
    e.tasks.push_back(std::move(t));
  }
}

void read_benchmark(const Checker& c, BenchmarkSpec& b) {
  if (!c.mapping("/benchmark", false)) return;
  c.only_keys("/benchmark", {"enabled", "prompt_lengths", "batch_sizes", "decode_prompt_length", "new_tokens",
                             "warmup", "warmup_s", "repetitions"});
  b.enabled = c.boolean("/benchmark/enabled").value_or(b.enabled);
  b.prompt_lengths = c.integers("/benchmark/prompt_lengths", 1).value_or(b.prompt_lengths);
  b.batch_sizes = c.integers("/benchmark/batch_sizes", 1).value_or(b.batch_sizes);
  b.decode_prompt_length = c.integer("/benchmark/decode_prompt_length", 1).value_or(b.decode_prompt_length);
  b.new_tokens = c.integer("/benchmark/new_tokens", 1).value_or(b.new_tokens);
  b.warmup = c.integer("/benchmark/warmup", 0).value_or(b.warmup);
  b.warmup_s = c.number("/benchmark/warmup_s", true).value_or(b.warmup_s);
  b.repetitions = c.integer("/benchmark/repetitions", 1).value_or(b.repetitions);
}

void read_generation(const Checker& c, GenerationSpec& g) {
  if (!c.mapping("/generation", false)) return;
  c.only_keys("/generation",
              {"max_batch", "prefix_reuse", "prefix_cache_mb", "cuda_graphs", "fused_kernels"});
  g.max_batch = c.integer("/generation/max_batch", 1).value_or(g.max_batch);
  g.prefix_reuse = c.boolean("/generation/prefix_reuse").value_or(g.prefix_reuse);
  g.prefix_cache_mb = c.integer("/generation/prefix_cache_mb", 1).value_or(g.prefix_cache_mb);
  g.cuda_graphs = c.boolean("/generation/cuda_graphs").value_or(g.cuda_graphs);
  g.fused_kernels = c.boolean("/generation/fused_kernels").value_or(g.fused_kernels);
}

}  // namespace

const std::vector<std::string>& experiment_keys() {
  static const std::vector<std::string> keys = {
      "name",      "description", "model", "device",     "dtype",     "quantization", "tasks",
      "benchmark", "generation",  "seed",  "output_dir", "timeout_s", "plugin_paths"};
  return keys;
}

std::string canonical_dump(const json& resolved) { return resolved.dump(); }

std::optional<Experiment> build_experiment(const Document& doc, const fs::path& source_file,
                                           Diagnostics& diag) {
  static const std::regex kName("[A-Za-z0-9._+=-]+");
  static const std::regex kDevice("cpu|cuda|auto|cuda:[0-9]+");
  Diagnostics found;
  Checker c(doc, found);
  auto map = std::make_shared<const SourceMap>(doc.values);
  Experiment e;
  e.source_file = source_file;
  e.sources = map;
  c.only_keys("", experiment_keys());

  e.name = c.string("/name", true).value_or("");
  if (doc.find("/name") && doc.find("/name")->is_string() && !std::regex_match(e.name, kName))
    c.error("/name", "experiment name '" + e.name +
                         "' may only use letters, digits and . _ + = - (it names "
                         "the result folder)");
  e.description = c.string("/description").value_or("");
  read_model(c, e);
  e.device = c.string("/device").value_or(e.device);
  if (doc.find("/device") && doc.find("/device")->is_string() && !std::regex_match(e.device, kDevice))
    c.error("/device", "device must be cpu, cuda, cuda:N or auto, got '" + e.device + "'" +
                           did_you_mean(e.device, {"cpu", "cuda", "auto"}));
  e.dtype = c.string("/dtype").value_or(e.dtype);
  const std::vector<std::string> dtypes = {"auto", "float16", "bfloat16", "float32"};
  if (std::find(dtypes.begin(), dtypes.end(), e.dtype) == dtypes.end())
    c.error("/dtype", "dtype must be one of auto, float16, bfloat16, float32, got '" + e.dtype + "'" +
                          did_you_mean(e.dtype, dtypes));
  read_quantization(c, doc, map, e);
  read_tasks(c, doc, map, e);
  read_benchmark(c, e.benchmark);
  read_generation(c, e.generation);
  if (e.tasks.empty() && !e.benchmark.enabled)
    c.error("", "experiment '" + e.name + "' has nothing to do: no tasks and benchmark.enabled is false");
  e.seed = c.unsigned_integer("/seed").value_or(e.seed);
  auto output = c.string("/output_dir");
  e.output_dir = output ? c.resolve("/output_dir", *output) : fs::absolute("results").lexically_normal();
  e.timeout_s = c.number("/timeout_s", false);
  if (auto dirs = c.strings("/plugin_paths"))
    for (size_t i = 0; i < dirs->size(); ++i)
      e.plugin_paths.push_back(c.resolve(pointer_append("/plugin_paths", std::to_string(i)), (*dirs)[i]));

  diag.append(found);
  if (!found.ok()) return std::nullopt;
  e.resolved = resolved_json(e);
  e.config_hash = sha256_hex(canonical_dump(e.resolved));
  return e;
}

}  // namespace lq
