// Google Benchmark results (`--benchmark_format=json` or `--benchmark_out=FILE`) brought into the report.
#pragma once

#include <string>
#include <vector>

#include "llama_quant/params.h"

namespace lq {

struct MicrobenchmarkRow {
  std::string file;       // the JSON file it came from (its name, for the table)
  std::string name;       // e.g. "BM_Nf4Dequant/4096"
  std::string aggregate;  // "mean", "median", "stddev" or "" for a plain run
  double real_time = 0, cpu_time = 0;
  std::string time_unit;  // "ns", "us", "ms", "s"
  int64_t iterations = 0;
  json counters = json::object();  // user counters such as bytes_per_second
};

// Throws lq::Error naming `file` when it is not Google Benchmark JSON.
std::vector<MicrobenchmarkRow> parse_google_benchmark(const json& j, const std::string& file);
// Whether `j` looks like Google Benchmark output (a "context" and a "benchmarks" list).
bool is_google_benchmark_json(const json& j);

std::string render_microbenchmarks_markdown(const std::vector<MicrobenchmarkRow>& rows);
std::string render_microbenchmarks_csv(const std::vector<MicrobenchmarkRow>& rows);

}  // namespace lq
