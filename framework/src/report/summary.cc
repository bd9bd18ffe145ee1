#include "report/summary.h"

namespace lq {
namespace {

// Prefill is shown at this prompt length when measured, else at the first length measured.
constexpr int64_t kHeadlinePromptLength = 512;

std::optional<double> median_of(const json& entry, const char* key) {
  auto it = entry.find(key);
  if (it == entry.end() || !it->is_object()) return std::nullopt;
  auto m = it->find("median");
  if (m == it->end() || !m->is_number()) return std::nullopt;
  return m->get<double>();
}

std::optional<double> relative_pct(std::optional<double> value, std::optional<double> base) {
  if (!value || !base || *base == 0) return std::nullopt;
  return (*value - *base) / *base * 100.0;
}

std::optional<double> difference(std::optional<double> value, std::optional<double> base) {
  if (!value || !base) return std::nullopt;
  return *value - *base;
}

std::optional<double> scaled(std::optional<double> v, double factor) {
  if (!v) return std::nullopt;
  return *v * factor;
}

SummaryRow row_of(const ResultRecord& r) {
  SummaryRow row;
  row.name = r.name;
  row.status = r.status;
  row.baseline = r.baseline;
  if (r.error) row.error = r.error->stage + ": " + r.error->message;
  row.size_mb = r.size_mb();
  for (auto it = r.tasks.begin(); it != r.tasks.end(); ++it) {
    if (!r.metric(it.key(), "f1")) continue;
    row.task = it.key();
    row.f1 = scaled(r.metric(row.task, "f1"), 100);
    row.f1_stderr = scaled(r.metric(row.task, "f1_stderr"), 100);
    row.em = scaled(r.metric(row.task, "em"), 100);
    row.em_stderr = scaled(r.metric(row.task, "em_stderr"), 100);
    break;
  }
  row.prefill_ms = prefill_median_ms(r.benchmark, &row.prefill_prompt_length);
  row.decode_tok_s = decode_median_tok_s(r.benchmark, 1);
  auto peak = r.memory.find("peak");
  if (peak != r.memory.end() && peak->is_object() && peak->contains("peak_bytes") &&
      (*peak)["peak_bytes"].is_number() && (*peak)["peak_bytes"].get<double>() >= 0)
    row.peak_memory_mb = (*peak)["peak_bytes"].get<double>() / (1024.0 * 1024.0);
  return row;
}

}  // namespace

std::optional<double> prefill_median_ms(const json& benchmark, int64_t* prompt_length) {
  auto list = benchmark.find("prefill");
  if (list == benchmark.end() || !list->is_array() || list->empty()) return std::nullopt;
  const json* chosen = &list->front();
  for (const auto& entry : *list)
    if (entry.value("prompt_length", int64_t{0}) == kHeadlinePromptLength) chosen = &entry;
  if (prompt_length) *prompt_length = chosen->value("prompt_length", int64_t{0});
  return median_of(*chosen, "latency_ms");
}

std::optional<double> decode_median_tok_s(const json& benchmark, int64_t batch_size) {
  auto list = benchmark.find("decode");
  if (list == benchmark.end() || !list->is_array()) return std::nullopt;
  for (const auto& entry : *list)
    if (entry.value("batch_size", int64_t{0}) == batch_size) return median_of(entry, "tokens_per_s");
  return std::nullopt;
}

Summary summarize_records(const std::vector<ResultRecord>& records) {
  Summary s;
  int base = -1;
  for (size_t i = 0; i < records.size() && base < 0; ++i)
    if (records[i].ok() && records[i].baseline) base = static_cast<int>(i);
  for (size_t i = 0; i < records.size() && base < 0; ++i)
    if (records[i].ok() && records[i].name == "fp16_baseline") base = static_cast<int>(i);
  for (size_t i = 0; i < records.size() && base < 0; ++i)
    if (records[i].ok()) base = static_cast<int>(i);
  for (const auto& r : records) s.rows.push_back(row_of(r));
  for (auto& row : s.rows) row.baseline = false;
  if (base < 0) return s;
  SummaryRow& b = s.rows[static_cast<size_t>(base)];
  b.baseline = true;
  s.baseline = b.name;
  for (size_t i = 0; i < s.rows.size(); ++i) {
    SummaryRow& row = s.rows[i];
    if (static_cast<int>(i) == base || row.status != "success") continue;
    row.size_change_pct = relative_pct(row.size_mb, b.size_mb);
    row.prefill_change_pct = relative_pct(row.prefill_ms, b.prefill_ms);
    row.decode_change_pct = relative_pct(row.decode_tok_s, b.decode_tok_s);
    row.memory_change_pct = relative_pct(row.peak_memory_mb, b.peak_memory_mb);
    row.f1_change = difference(row.f1, b.f1);
    row.em_change = difference(row.em, b.em);
  }
  return s;
}

}  // namespace lq
