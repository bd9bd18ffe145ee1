#include "runner/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "llama_quant/diagnostics.h"

namespace fs = std::filesystem;

namespace lq {
namespace {

constexpr const char* kTempPrefix = ".lq-tmp.";

[[noreturn]] void fail(const fs::path& path, const std::string& what) {
  throw Error(path.string() + ": " + what + ": " + std::strerror(errno));
}

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // the rename already happened; a folder we cannot open is not worth failing for
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

bool is_atomic_temp_name(const std::string& name) { return name.rfind(kTempPrefix, 0) == 0; }

void write_file_atomically(const fs::path& path, const std::string& content) {
  fs::path dir = path.parent_path();
  std::error_code ec;
  if (!dir.empty()) fs::create_directories(dir, ec);
  if (ec) throw Error(dir.string() + ": cannot create folder: " + ec.message());
  // The pid in the name lets remove_stale_temp_files tell a live writer from a dead one.
  std::string tmpl = (dir / (std::string(kTempPrefix) + std::to_string(::getpid()) + "." +
                             path.filename().string() + ".XXXXXX"))
                         .string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) fail(path, "cannot create a temporary file next to it");
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      ::unlink(tmpl.c_str());
      errno = saved;
      fail(path, "cannot write");
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) {
    int saved = errno;
    ::close(fd);
    ::unlink(tmpl.c_str());
    errno = saved;
    fail(path, "cannot flush");
  }
  ::close(fd);
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(tmpl.c_str());
    errno = saved;
    fail(path, "cannot rename the temporary file into place");
  }
  fsync_dir(dir);
}

void remove_stale_temp_files(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!is_atomic_temp_name(name)) continue;
    pid_t pid = static_cast<pid_t>(std::atoll(name.c_str() + std::strlen(kTempPrefix)));
    if (pid > 0 && (::kill(pid, 0) == 0 || errno != ESRCH)) continue;  // its writer may still run
    fs::remove(entry.path(), ec);
  }
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(path.string() + ": read error");
  return ss.str();
}

}  // namespace lq
