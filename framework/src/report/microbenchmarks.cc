#include "report/microbenchmarks.h"

#include <cstdio>

#include "report/csv.h"

namespace lq {
namespace {

const std::vector<std::string> kStandardKeys = {"name",
                                                "family_index",
                                                "per_family_instance_index",
                                                "run_name",
                                                "run_type",
                                                "repetitions",
                                                "repetition_index",
                                                "threads",
                                                "iterations",
                                                "real_time",
                                                "cpu_time",
                                                "time_unit",
                                                "aggregate_name",
                                                "aggregate_unit",
                                                "label",
                                                "error_occurred",
                                                "error_message"};

bool standard(const std::string& key) {
  for (const auto& k : kStandardKeys)
    if (k == key) return true;
  return false;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace

bool is_google_benchmark_json(const json& j) {
  return j.is_object() && j.contains("context") && j.contains("benchmarks") && j["benchmarks"].is_array();
}

std::vector<MicrobenchmarkRow> parse_google_benchmark(const json& j, const std::string& file) {
  if (!is_google_benchmark_json(j))
    throw Error(file + ": not Google Benchmark JSON (expected \"context\" and a \"benchmarks\" list)");
  std::vector<MicrobenchmarkRow> rows;
  size_t index = 0;
  for (const auto& b : j["benchmarks"]) {
    std::string where = file + ": benchmarks[" + std::to_string(index++) + "]";
    if (!b.is_object() || !b.contains("name") || !b["name"].is_string())
      throw Error(where + ": expected an object with a \"name\"");
    if (b.value("error_occurred", false)) continue;
    MicrobenchmarkRow row;
    row.file = file.substr(file.find_last_of('/') + 1);
    row.name = b["name"].get<std::string>();
    row.aggregate = b.value("aggregate_name", "");
    try {
      row.real_time = b.at("real_time").get<double>();
      row.cpu_time = b.at("cpu_time").get<double>();
      row.time_unit = b.value("time_unit", "ns");
      row.iterations = b.value("iterations", int64_t{0});
    } catch (const json::exception&) {
      throw Error(where + " (" + row.name + "): expected numeric \"real_time\" and \"cpu_time\"");
    }
    for (auto it = b.begin(); it != b.end(); ++it)
      if (!standard(it.key()) && it->is_number()) row.counters[it.key()] = *it;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string render_microbenchmarks_markdown(const std::vector<MicrobenchmarkRow>& rows) {
  std::string out =
      "| file | benchmark | real time | cpu time | iterations | counters |\n|---|---|---:|---:|---:|---|\n";
  for (const auto& r : rows) {
    std::string counters;
    for (auto it = r.counters.begin(); it != r.counters.end(); ++it)
      counters += (counters.empty() ? "" : ", ") + it.key() + "=" + number(it->get<double>());
    out += "| " + r.file + " | " + r.name + " | " + number(r.real_time) + " " + r.time_unit + " | " +
           number(r.cpu_time) + " " + r.time_unit + " | " + std::to_string(r.iterations) + " | " + counters +
           " |\n";
  }
  return out;
}

std::string render_microbenchmarks_csv(const std::vector<MicrobenchmarkRow>& rows) {
  CsvWriter csv(
      {"file", "benchmark", "aggregate", "real_time", "cpu_time", "time_unit", "iterations", "counters"});
  for (const auto& r : rows)
    csv.row({r.file, r.name, r.aggregate, number(r.real_time), number(r.cpu_time), r.time_unit,
             std::to_string(r.iterations), r.counters.dump()});
  return csv.str();
}

}  // namespace lq
