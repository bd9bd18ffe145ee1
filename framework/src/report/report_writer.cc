#include "report/report_writer.h"

#include <algorithm>
#include <cstdio>

#include "report/csv.h"
#include "report/microbenchmarks.h"
#include "report/plots.h"
#include "report/summary_table.h"
#include "runner/atomic_file.h"
#include "runner/output_layout.h"

namespace fs = std::filesystem;

namespace lq {
namespace {

std::string cell(const std::optional<double>& v) {
  if (!v) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", *v);
  return buf;
}

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

std::vector<fs::path> json_files(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().extension() == ".json" && !is_atomic_temp_name(entry.path().filename().string()))
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

json parse_json_file(const fs::path& file) {
  try {
    return json::parse(read_file(file));
  } catch (const json::exception& e) {
    throw Error(file.string() + ": not valid JSON: " + e.what());
  }
}

}  // namespace

std::vector<ResultRecord> load_records(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(layout::records_dir(dir), ec))
    throw Error(dir.string() + ": no records/ folder: not a llama-quant results folder");
  std::vector<ResultRecord> records;
  for (const auto& file : json_files(layout::records_dir(dir)))
    records.push_back(ResultRecord::from_json(parse_json_file(file), file.string()));
  std::stable_sort(records.begin(), records.end(), [](const ResultRecord& a, const ResultRecord& b) {
    return a.order != b.order ? a.order < b.order : a.name < b.name;
  });
  return records;
}

std::string render_csv(const Summary& summary, const std::vector<ResultRecord>& records) {
  CsvWriter csv({"experiment",
                 "status",
                 "baseline",
                 "error_stage",
                 "error_message",
                 "size_mb",
                 "size_change_pct",
                 "task",
                 "f1",
                 "f1_stderr",
                 "f1_change",
                 "em",
                 "em_stderr",
                 "em_change",
                 "prefill_prompt_length",
                 "prefill_ms",
                 "prefill_change_pct",
                 "decode_tok_s_batch1",
                 "decode_change_pct",
                 "peak_memory_mb",
                 "memory_change_pct",
                 "device",
                 "config_hash"});
  for (size_t i = 0; i < summary.rows.size(); ++i) {
    const SummaryRow& r = summary.rows[i];
    const ResultRecord& rec = records[i];
    csv.row({r.name,
             r.status,
             r.baseline ? "true" : "false",
             rec.error ? rec.error->stage : "",
             rec.error ? rec.error->message : "",
             cell(r.size_mb),
             cell(r.size_change_pct),
             r.task,
             cell(r.f1),
             cell(r.f1_stderr),
             cell(r.f1_change),
             cell(r.em),
             cell(r.em_stderr),
             cell(r.em_change),
             r.prefill_prompt_length ? std::to_string(r.prefill_prompt_length) : "",
             cell(r.prefill_ms),
             cell(r.prefill_change_pct),
             cell(r.decode_tok_s),
             cell(r.decode_change_pct),
             cell(r.peak_memory_mb),
             cell(r.memory_change_pct),
             rec.device,
             rec.config_hash});
  }
  return csv.str();
}

json combined_json(const Summary& summary, const std::vector<ResultRecord>& records) {
  json rows = json::array();
  for (const auto& r : summary.rows)
    rows.push_back({{"experiment", r.name},
                    {"status", r.status},
                    {"baseline", r.baseline},
                    {"error", r.error},
                    {"task", r.task},
                    {"size_mb", optional_number(r.size_mb)},
                    {"f1", optional_number(r.f1)},
                    {"f1_stderr", optional_number(r.f1_stderr)},
                    {"em", optional_number(r.em)},
                    {"em_stderr", optional_number(r.em_stderr)},
                    {"prefill_ms", optional_number(r.prefill_ms)},
                    {"prefill_prompt_length", r.prefill_prompt_length},
                    {"decode_tok_s_batch1", optional_number(r.decode_tok_s)},
                    {"peak_memory_mb", optional_number(r.peak_memory_mb)},
                    {"size_change_pct", optional_number(r.size_change_pct)},
                    {"f1_change", optional_number(r.f1_change)},
                    {"em_change", optional_number(r.em_change)},
                    {"prefill_change_pct", optional_number(r.prefill_change_pct)},
                    {"decode_change_pct", optional_number(r.decode_change_pct)},
                    {"memory_change_pct", optional_number(r.memory_change_pct)}});
  json all = json::array();
  for (const auto& r : records) all.push_back(r.to_json());
  return {{"schema_version", kResultSchemaVersion},
          {"baseline", summary.baseline},
          {"summary", rows},
          {"records", all}};
}

ReportOutput write_report(const fs::path& dir, const std::vector<ResultRecord>& records) {
  Summary summary = summarize_records(records);
  ReportOutput out;
  out.table = render_text_table(summary);
  auto write = [&](const fs::path& file, const std::string& content) {
    write_file_atomically(file, content);
    out.files.push_back(file);
  };
  write(dir / "summary.txt", out.table);
  write(dir / "summary.csv", render_csv(summary, records));
  write(dir / "summary.json", combined_json(summary, records).dump(2) + "\n");

  std::string md = "# llama-quant results\n\n" + render_markdown_table(summary);
  std::vector<MicrobenchmarkRow> micro;
  for (const auto& file : json_files(dir / "microbenchmarks")) {
    auto rows = parse_google_benchmark(parse_json_file(file), file.string());
    micro.insert(micro.end(), rows.begin(), rows.end());
  }
  if (!micro.empty()) {
    md += "\n## Microbenchmarks\n\n" + render_microbenchmarks_markdown(micro);
    write(dir / "microbenchmarks.csv", render_microbenchmarks_csv(micro));
  }
  auto plots = write_plots(dir, records);
  if (!plots.empty()) {
    md += "\n## Plots\n\n";
    for (const auto& p : plots)
      if (p.extension() == ".svg")
        md += "![" + p.stem().string() + "](plots/" + p.filename().string() + ")\n";
  }
  write(dir / "summary.md", md);
  out.files.insert(out.files.end(), plots.begin(), plots.end());
  return out;
}

}  // namespace lq
