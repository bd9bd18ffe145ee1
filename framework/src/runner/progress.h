// Progress of long work (experiments of a sweep, documents of a task, benchmark runs): counts, rate and
// ETA, redrawn in place on a terminal, as occasional plain log lines otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace lq {

enum class ProgressStyle { kTerminal, kPlain, kNone };

// kTerminal when stderr is a terminal, else kPlain.
ProgressStyle default_progress_style();
ProgressStyle parse_progress_style(const std::string& name);  // "tty", "plain", "none"
std::string progress_style_name(ProgressStyle style);

class ProgressLine {
 public:
  ProgressLine(std::ostream& out, ProgressStyle style, std::string label,
               std::chrono::seconds plain_interval = std::chrono::seconds(10));
  ~ProgressLine();  // ends a terminal line that is still open

  void update(int64_t done, int64_t total);

  // "12/50 (24%) 3.40/s ETA 0:11" without the label; rate and ETA once a second has passed.
  static std::string format(int64_t done, int64_t total, double seconds);

 private:
  std::ostream& out_;
  ProgressStyle style_;
  std::string label_;
  std::chrono::seconds interval_;
  std::chrono::steady_clock::time_point start_, last_print_;
  bool open_ = false, printed_ = false;
};

}  // namespace lq
