// The summary as text: the console table (aligned columns) and the same cells as Markdown.
#pragma once

#include <string>
#include <vector>

#include "report/summary.h"

namespace lq {

struct TableCells {
  std::vector<std::string> header;
  std::vector<bool> right_aligned;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> notes;  // below the table: what the figures mean, error messages
};

// Each figure with its change vs the baseline, e.g. "68.1 (-73.4%)", "61.2±1.3 (-0.8)".
TableCells summary_cells(const Summary& summary);

std::string render_text_table(const Summary& summary);
std::string render_markdown_table(const Summary& summary);

}  // namespace lq
