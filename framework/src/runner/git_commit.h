// The commit llama-quant was built from (`git describe --always --dirty` at configure time, "unknown"
// outside git), recorded in every result record's environment.
#pragma once

namespace lq {

const char* git_commit();

}  // namespace lq
