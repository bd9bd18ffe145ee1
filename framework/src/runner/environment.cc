#include "runner/environment.h"

#include <sys/utsname.h>
#include <torch/version.h>
#include <unistd.h>

#include <cctype>
#include <fstream>

#include "bench/device_timer.h"
#include "runner/git_commit.h"

namespace lq {
namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    auto colon = line.find(':');
    if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
  }
  return "unknown";
}

// "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06  ..." -> "580.65.06".
// The first version-like word of /proc/driver/nvidia/version ("NVRM version: NVIDIA UNIX Open Kernel
// Module for x86_64  580.159.04  Release Build ..."), e.g. "580.159.04".
std::string nvidia_driver() {
  std::ifstream in("/proc/driver/nvidia/version");
  std::string word;
  while (in >> word) {
    bool digits_and_dots = word.find_first_not_of("0123456789.") == std::string::npos;
    if (digits_and_dots && word.find('.') != std::string::npos &&
        std::isdigit(static_cast<unsigned char>(word[0])))
      return word;
  }
  return "";
}

std::string compiler() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#else
  return "unknown";
#endif
}

}  // namespace

json collect_environment(const std::string& device) {
  json env = {{"llama_quant_version", LQ_VERSION},
              {"git_commit", git_commit()},
              {"compiler", compiler()},
              {"libtorch_version", TORCH_VERSION},
              {"cpu_model", cpu_model()},
              {"cpu_count", static_cast<int64_t>(::sysconf(_SC_NPROCESSORS_ONLN))}};
  utsname u{};
  if (::uname(&u) == 0) {
    env["os"] = std::string(u.sysname) + " " + u.release + " " + u.machine;
    env["hostname"] = u.nodename;
  }
#ifdef LQ_HAVE_CUDA
  if (is_cuda_device(device)) env.update(cuda_environment(device));
#endif
  if (std::string driver = nvidia_driver(); !driver.empty()) env["gpu_driver"] = driver;
  return env;
}

}  // namespace lq
