#include "runner/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>

#include "llama_quant/diagnostics.h"

extern char** environ;

namespace lq {
namespace {

// Process groups of running children, readable from a signal handler.
constexpr size_t kMaxChildren = 64;
std::array<std::atomic<pid_t>, kMaxChildren> g_children{};

void remember(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, pid)) return;
  }
}
void forget(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

std::vector<std::string> environment_with(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry = *e;
    std::string key = entry.substr(0, entry.find('='));
    if (!overrides.count(key)) env.push_back(entry);
  }
  for (const auto& [k, v] : overrides) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

class OutputSink {
 public:
  explicit OutputSink(const ChildSpec& spec) : spec_(spec) {
    if (!spec.log_file.empty()) log_.open(spec.log_file, std::ios::app | std::ios::binary);
  }
  void add(const char* data, size_t n) {
    if (log_) log_.write(data, static_cast<std::streamsize>(n)).flush();
    tail_.append(data, n);
    if (tail_.size() > 2 * spec_.tail_bytes) tail_.erase(0, tail_.size() - spec_.tail_bytes);
    line_.append(data, n);
    size_t pos;
    while ((pos = line_.find('\n')) != std::string::npos) {
      if (spec_.on_line) spec_.on_line(line_.substr(0, pos));
      line_.erase(0, pos + 1);
    }
  }
  std::string finish() {
    if (!line_.empty() && spec_.on_line) spec_.on_line(line_);
    line_.clear();
    if (tail_.size() > spec_.tail_bytes) tail_.erase(0, tail_.size() - spec_.tail_bytes);
    return tail_;
  }

 private:
  const ChildSpec& spec_;
  std::ofstream log_;
  std::string tail_, line_;
};

}  // namespace

std::string signal_name(int sig) {
  switch (sig) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGABRT:
      return "SIGABRT";
    case SIGKILL:
      return "SIGKILL";
    case SIGTERM:
      return "SIGTERM";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGILL:
      return "SIGILL";
    case SIGINT:
      return "SIGINT";
    case SIGPIPE:
      return "SIGPIPE";
    case SIGHUP:
      return "SIGHUP";
    case SIGTRAP:
      return "SIGTRAP";
    default:
      return "SIG" + std::to_string(sig);
  }
}

std::string ChildOutcome::describe(const std::optional<double>& timeout_s) const {
  if (timed_out) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "timed out after %g s", timeout_s ? *timeout_s : seconds);
    return buf;
  }
  if (signal) return "killed by " + signal_name(signal) + " (" + strsignal(signal) + ")";
  return "exit code " + std::to_string(exit_code);
}

void terminate_running_children() {
  for (auto& slot : g_children) {
    pid_t pid = slot.load();
    if (pid > 0) ::kill(-pid, SIGTERM);
  }
}

namespace {
void forward_and_die(int sig) {
  terminate_running_children();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}
}  // namespace

void install_interrupt_forwarding() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, forward_and_die);
}

ChildOutcome run_child(const ChildSpec& spec) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(std::string("cannot create a pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group: a timeout kills its children too
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);

  std::vector<std::string> argv_strings{spec.program};
  argv_strings.insert(argv_strings.end(), spec.args.begin(), spec.args.end());
  std::vector<std::string> env_strings = environment_with(spec.env);
  auto argv = pointers(argv_strings);
  auto envp = pointers(env_strings);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, spec.program.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw Error(spec.program + ": cannot start: " + std::strerror(rc));
  }
  remember(pid);

  auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  ChildOutcome outcome;
  OutputSink sink(spec);
  int status = 0;
  bool exited = false, pipe_open = true;
  double kill_at = -1;  // after SIGTERM on timeout, SIGKILL follows
  char buf[4096];
  while (!exited) {
    if (pipe_open) {
      pollfd p{fds[0], POLLIN, 0};
      if (::poll(&p, 1, 100) > 0) {
        ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n > 0)
          sink.add(buf, static_cast<size_t>(n));
        else if (n == 0 || errno != EINTR)
          pipe_open = false;
      }
    } else {
      ::usleep(50 * 1000);
    }
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) exited = true;
    double t = elapsed();
    if (!exited && spec.timeout_s && !outcome.timed_out && t > *spec.timeout_s) {
      outcome.timed_out = true;
      ::kill(-pid, SIGTERM);
      kill_at = t + 2.0;
    }
    if (!exited && kill_at > 0 && t > kill_at) {
      ::kill(-pid, SIGKILL);
      kill_at = -1;
    }
  }
  // Drain what is already buffered, then end whatever the child left behind in its group.
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  ssize_t n;
  while (pipe_open && (n = ::read(fds[0], buf, sizeof buf)) > 0) sink.add(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  ::kill(-pid, SIGKILL);
  forget(pid);
  outcome.seconds = elapsed();
  outcome.tail = sink.finish();
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  return outcome;
}

}  // namespace lq
