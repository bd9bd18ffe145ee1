// Logging set-up for the command-line tool: spdlog to stderr, -v for debug, -q for warnings only.
#pragma once

namespace lq {
void setup_logging(bool verbose, bool quiet);
}
