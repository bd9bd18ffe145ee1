// The comparison summary: one row per experiment with its headline figures and each figure's change
// relative to the baseline. Every report format (console table, CSV, Markdown, plots) renders these rows.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runner/result_record.h"

namespace lq {

struct SummaryRow {
  std::string name;
  std::string status;
  std::string error;  // "stage: message" for an error
  bool baseline = false;
  std::string task;  // the task whose F1/EM are shown (first one reporting f1)
  std::optional<double> size_mb, f1, f1_stderr, em, em_stderr;
  std::optional<double> prefill_ms;  // median time to first token
  int64_t prefill_prompt_length = 0;
  std::optional<double> decode_tok_s;  // median decode throughput at batch size 1
  std::optional<double> peak_memory_mb;
  // Relative change vs the baseline in percent (size, prefill, throughput, memory) and absolute change in
  // points (F1, EM); empty for the baseline itself or when either side lacks the figure.
  std::optional<double> size_change_pct, prefill_change_pct, decode_change_pct, memory_change_pct;
  std::optional<double> f1_change, em_change;
};

struct Summary {
  std::vector<SummaryRow> rows;
  std::string baseline;  // name of the baseline, "" when none succeeded
};

// The baseline is the record marked baseline, else the one named "fp16_baseline", else the first;
// only a successful record can be a baseline. F1/EM are shown x100 (percent), like lm-eval-harness.
Summary summarize_records(const std::vector<ResultRecord>& records);

// Headline figures from a record's benchmark block (see bench/benchmark_suite.h).
std::optional<double> prefill_median_ms(const json& benchmark, int64_t* prompt_length = nullptr);
std::optional<double> decode_median_tok_s(const json& benchmark, int64_t batch_size);

}  // namespace lq
