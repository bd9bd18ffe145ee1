#include "runner/result_record.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "llama_quant/diagnostics.h"

namespace lq {
namespace {

json error_to_json(const StageError& e) {
  json j = {{"stage", e.stage}, {"message", e.message}};
  if (!e.signal.empty()) j["signal"] = e.signal;
  if (e.timed_out) j["timed_out"] = true;
  if (!e.stderr_tail.empty()) j["stderr_tail"] = e.stderr_tail;
  return j;
}

// Reads field `key` of `j` as T, or `fallback` when absent; a wrong type is an error naming the field.
template <class T>
T field(const json& j, const char* key, T fallback, const std::string& file) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw Error(file + ": result field '" + key + "' has the wrong type (" + Params::describe(*it) + ")");
  }
}

json object_field(const json& j, const char* key, const std::string& file) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return json::object();
  if (!it->is_object())
    throw Error(file + ": result field '" + key + "' must be an object, got " + Params::describe(*it));
  return *it;
}

}  // namespace

std::optional<double> ResultRecord::size_mb() const {
  if (!size_bytes) return std::nullopt;
  return static_cast<double>(*size_bytes) / (1024.0 * 1024.0);
}

std::optional<double> ResultRecord::metric(const std::string& task, const std::string& key) const {
  auto t = tasks.find(task);
  if (t == tasks.end() || !t->is_object()) return std::nullopt;
  auto m = t->find("metrics");
  if (m == t->end() || !m->is_object()) return std::nullopt;
  auto v = m->find(key);
  if (v == m->end() || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

json ResultRecord::to_json() const {
  json j = {{"schema_version", schema_version},
            {"name", name},
            {"description", description},
            {"order", order},
            {"status", status},
            {"error", error ? error_to_json(*error) : json(nullptr)},
            {"baseline", baseline},
            {"device", device},
            {"gpu", gpu ? json(*gpu) : json(nullptr)},
            {"size_bytes", size_bytes ? json(*size_bytes) : json(nullptr)},
            {"size_mb", size_mb() ? json(*size_mb()) : json(nullptr)},
            {"model", model},
            {"quantization", quantization},
            {"tasks", tasks},
            {"benchmark", benchmark},
            {"memory", memory},
            {"timings_s", timings_s},
            {"config", config},
            {"config_hash", config_hash},
            {"environment", environment},
            {"started_at", started_at},
            {"finished_at", finished_at}};
  return j;
}

ResultRecord ResultRecord::from_json(const json& j, const std::string& file) {
  if (!j.is_object())
    throw Error(file + ": a result record must be a JSON object, got " + Params::describe(j));
  ResultRecord r;
  r.schema_version = field<int>(j, "schema_version", -1, file);
  if (r.schema_version != kResultSchemaVersion)
    throw Error(file + ": result schema_version " + std::to_string(r.schema_version) + ", expected " +
                std::to_string(kResultSchemaVersion));
  r.name = field<std::string>(j, "name", "", file);
  if (r.name.empty()) throw Error(file + ": result record has no 'name'");
  r.description = field<std::string>(j, "description", "", file);
  r.order = field<int64_t>(j, "order", 0, file);
  r.status = field<std::string>(j, "status", "", file);
  if (r.status != "success" && r.status != "error")
    throw Error(file + ": result 'status' must be \"success\" or \"error\", got \"" + r.status + "\"");
  json err = object_field(j, "error", file);
  if (!err.empty()) {
    StageError e;
    e.stage = field<std::string>(err, "stage", "", file);
    e.message = field<std::string>(err, "message", "", file);
    e.signal = field<std::string>(err, "signal", "", file);
    e.timed_out = field<bool>(err, "timed_out", false, file);
    e.stderr_tail = field<std::string>(err, "stderr_tail", "", file);
    r.error = e;
  }
  if (r.status == "error" && !r.error) throw Error(file + ": result has status \"error\" but no 'error'");
  r.baseline = field<bool>(j, "baseline", false, file);
  r.device = field<std::string>(j, "device", "", file);
  if (j.contains("gpu") && !j["gpu"].is_null()) r.gpu = field<int64_t>(j, "gpu", 0, file);
  if (j.contains("size_bytes") && !j["size_bytes"].is_null())
    r.size_bytes = field<int64_t>(j, "size_bytes", 0, file);
  r.model = object_field(j, "model", file);
  r.quantization = object_field(j, "quantization", file);
  r.tasks = object_field(j, "tasks", file);
  r.benchmark = object_field(j, "benchmark", file);
  r.memory = object_field(j, "memory", file);
  r.timings_s = object_field(j, "timings_s", file);
  r.config = object_field(j, "config", file);
  r.config_hash = field<std::string>(j, "config_hash", "", file);
  r.environment = object_field(j, "environment", file);
  r.started_at = field<std::string>(j, "started_at", "", file);
  r.finished_at = field<std::string>(j, "finished_at", "", file);
  return r;
}

std::string utc_timestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace lq
