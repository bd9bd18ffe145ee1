// Runs a program as a supervised child process: its own process group (so a timeout kills everything it
// started), stdout and stderr captured through a pipe (forwarded line by line, the tail kept for error
// records, everything appended to a log file), an optional wall-clock limit. posix_spawn, no shell.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lq {

struct ChildSpec {
  std::string program;
  std::vector<std::string> args;           // argv[1...]
  std::map<std::string, std::string> env;  // added to (or replacing in) this process's environment
  std::optional<double> timeout_s;
  std::filesystem::path log_file;                        // empty: no log
  std::function<void(const std::string& line)> on_line;  // each output line, without its newline
  size_t tail_bytes = 8192;
};

struct ChildOutcome {
  int exit_code = -1;  // when it exited
  int signal = 0;      // when a signal ended it
  bool timed_out = false;
  std::string tail;  // the last tail_bytes of its output
  double seconds = 0;

  bool succeeded() const { return signal == 0 && !timed_out && exit_code == 0; }
  // "exit code 3", "killed by SIGSEGV (segmentation fault)", "timed out after 5 s".
  std::string describe(const std::optional<double>& timeout_s) const;
};

// Throws lq::Error when the program cannot be started.
ChildOutcome run_child(const ChildSpec& spec);

// "SIGSEGV" for 11, "SIG42" for an unnamed one.
std::string signal_name(int sig);

// Sends SIGTERM to every running child's process group (for a parent that is being interrupted).
void terminate_running_children();

// On SIGINT, SIGTERM or SIGHUP: terminate the running children, then die of the same signal. Children run
// in their own process groups, so a Ctrl-C at the terminal reaches them only through this.
void install_interrupt_forwarding();

}  // namespace lq
