#include "runner/progress.h"

#include <unistd.h>

#include <cstdio>

#include "llama_quant/diagnostics.h"

namespace lq {
namespace {

std::string clock_text(double seconds) {
  long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

}  // namespace

ProgressStyle default_progress_style() {
  return ::isatty(STDERR_FILENO) ? ProgressStyle::kTerminal : ProgressStyle::kPlain;
}

ProgressStyle parse_progress_style(const std::string& name) {
  if (name == "tty") return ProgressStyle::kTerminal;
  if (name == "plain") return ProgressStyle::kPlain;
  if (name == "none") return ProgressStyle::kNone;
  throw Error("unknown progress style '" + name + "'; expected tty, plain or none");
}

std::string progress_style_name(ProgressStyle style) {
  switch (style) {
    case ProgressStyle::kTerminal:
      return "tty";
    case ProgressStyle::kPlain:
      return "plain";
    default:
      return "none";
  }
}

ProgressLine::ProgressLine(std::ostream& out, ProgressStyle style, std::string label,
                           std::chrono::seconds plain_interval)
    : out_(out),
      style_(style),
      label_(std::move(label)),
      interval_(plain_interval),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

ProgressLine::~ProgressLine() {
  if (open_) out_ << "\n" << std::flush;
}

std::string ProgressLine::format(int64_t done, int64_t total, double seconds) {
  std::string text = std::to_string(done) + "/" + std::to_string(total);
  if (total > 0) text += " (" + std::to_string(done * 100 / total) + "%)";
  // A rate needs a second of history: the benchmark stage's first step (a skip) took microseconds and
  // printed "2000000.00/s ETA 0:00".
  if (done > 0 && seconds >= 1.0) {
    double rate = static_cast<double>(done) / seconds;
    char buf[32];
    std::snprintf(buf, sizeof buf, " %.2f/s", rate);
    text += buf;
    if (total > done) text += " ETA " + clock_text(static_cast<double>(total - done) / rate);
  }
  return text;
}

void ProgressLine::update(int64_t done, int64_t total) {
  if (style_ == ProgressStyle::kNone) return;
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - start_).count();
  std::string text = label_ + " " + format(done, total, elapsed);
  bool finished = done >= total;
  if (style_ == ProgressStyle::kTerminal) {
    out_ << "\r\033[K" << text << (finished ? "\n" : "") << std::flush;
    open_ = !finished;
    return;
  }
  // Plain: the first update, then at most one line per interval, and the last one.
  if (printed_ && !finished && now - last_print_ < interval_) return;
  out_ << text << "\n" << std::flush;
  printed_ = true;
  last_print_ = now;
}

}  // namespace lq
