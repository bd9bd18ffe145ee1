// Writes a run's report from its records: summary.txt (the console table), summary.md, summary.csv,
// summary.json (every record combined), microbenchmarks.{md,csv} from Google Benchmark JSON files found in
// microbenchmarks/, and plots/. `llama-quant report DIR` rebuilds all of it from DIR/records.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "report/summary.h"
#include "runner/result_record.h"

namespace lq {

// Every DIR/records/*.json, ordered by their run order then name. Throws lq::Error naming a bad file.
std::vector<ResultRecord> load_records(const std::filesystem::path& dir);

struct ReportOutput {
  std::string table;                         // the console summary table
  std::vector<std::filesystem::path> files;  // everything written
};

ReportOutput write_report(const std::filesystem::path& dir, const std::vector<ResultRecord>& records);

std::string render_csv(const Summary& summary, const std::vector<ResultRecord>& records);
json combined_json(const Summary& summary, const std::vector<ResultRecord>& records);

}  // namespace lq
