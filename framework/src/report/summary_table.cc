#include "report/summary_table.h"

#include <algorithm>
#include <cstdio>

namespace lq {
namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string signed_fixed(double v, int decimals) { return (v >= 0 ? "+" : "") + fixed(v, decimals); }

std::string figure(const std::optional<double>& v, const std::optional<double>& change_pct,
                   int decimals = 1) {
  if (!v) return "-";
  std::string s = fixed(*v, decimals);
  if (change_pct) s += " (" + signed_fixed(*change_pct, 1) + "%)";
  return s;
}

std::string score(const std::optional<double>& v, const std::optional<double>& se,
                  const std::optional<double>& change) {
  if (!v) return "-";
  std::string s = fixed(*v, 1);
  if (se) s += "±" + fixed(*se, 1);
  if (change) s += " (" + signed_fixed(*change, 1) + ")";
  return s;
}

std::string first_line(const std::string& text, size_t max_chars) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > max_chars) line = line.substr(0, max_chars - 3) + "...";
  return line;
}

// Display width of UTF-8 text: continuation bytes take no column.
size_t width(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string pad(const std::string& s, size_t w, bool right) {
  std::string fill(w > width(s) ? w - width(s) : 0, ' ');
  return right ? fill + s : s + fill;
}

}  // namespace

TableCells summary_cells(const Summary& summary) {
  TableCells t;
  std::string task = "task";
  int64_t prompt = 0;
  for (const auto& r : summary.rows) {
    if (!r.task.empty() && task == "task") task = r.task;
    if (r.prefill_prompt_length && !prompt) prompt = r.prefill_prompt_length;
  }
  t.header = {"experiment",       "status",
              "size MB",          task + " F1",
              task + " EM",       prompt ? "prefill ms @" + std::to_string(prompt) : "prefill ms",
              "decode tok/s b=1", "peak mem MB"};
  t.right_aligned = {false, false, true, true, true, true, true, true};
  for (const auto& r : summary.rows) {
    t.rows.push_back({r.name + (r.baseline ? " *" : ""), r.status, figure(r.size_mb, r.size_change_pct),
                      score(r.f1, r.f1_stderr, r.f1_change), score(r.em, r.em_stderr, r.em_change),
                      figure(r.prefill_ms, r.prefill_change_pct, 2),
                      figure(r.decode_tok_s, r.decode_change_pct),
                      figure(r.peak_memory_mb, r.memory_change_pct)});
  }
  if (!summary.baseline.empty())
    t.notes.push_back(
        "* baseline: " + summary.baseline +
        ". Changes in parentheses: % for size, latency, throughput and memory; points for F1/EM.");
  t.notes.push_back("F1/EM x100 ± standard error; latency and throughput are medians; MB = 2^20 bytes.");
  for (const auto& r : summary.rows)
    if (!r.error.empty()) t.notes.push_back(r.name + " failed in " + first_line(r.error, 160));
  return t;
}

std::string render_text_table(const Summary& summary) {
  TableCells t = summary_cells(summary);
  std::vector<size_t> w(t.header.size());
  for (size_t c = 0; c < w.size(); ++c) {
    w[c] = width(t.header[c]);
    for (const auto& row : t.rows) w[c] = std::max(w[c], width(row[c]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < cells.size(); ++c)
      out += (c ? "  " : "") + pad(cells[c], w[c], t.right_aligned[c]);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(t.header);
  std::string rule;
  for (size_t c = 0; c < w.size(); ++c) rule += (c ? "  " : "") + std::string(w[c], '-');
  out += rule + "\n";
  for (const auto& row : t.rows) out += line(row);
  for (const auto& n : t.notes) out += n + "\n";
  return out;
}

std::string render_markdown_table(const Summary& summary) {
  TableCells t = summary_cells(summary);
  auto escape = [](std::string s) {
    for (size_t p = 0; (p = s.find('|', p)) != std::string::npos; p += 2) s.replace(p, 1, "\\|");
    return s;
  };
  std::string out = "|";
  for (const auto& h : t.header) out += " " + escape(h) + " |";
  out += "\n|";
  for (bool right : t.right_aligned) out += right ? "---:|" : "---|";
  out += "\n";
  for (const auto& row : t.rows) {
    out += "|";
    for (const auto& cell : row) out += " " + escape(cell) + " |";
    out += "\n";
  }
  out += "\n";
  for (const auto& n : t.notes) out += "- " + escape(n) + "\n";
  return out;
}

}  // namespace lq
