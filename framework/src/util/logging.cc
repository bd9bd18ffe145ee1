#include "util/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace lq {

void setup_logging(bool verbose, bool quiet) {
  auto logger = spdlog::stderr_color_mt("llama-quant");
  logger->set_pattern("%^[%H:%M:%S %l]%$ %v");
  logger->set_level(verbose ? spdlog::level::debug : quiet ? spdlog::level::warn : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace lq
