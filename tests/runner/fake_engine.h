// A tiny stand-in model for the runner tests: a few random linear layers named like a Llama's, handed to
// the backend exactly as the real engine does, a generator that answers the echo_qa task, and a bench
// target that runs the layers. It records CUDA_VISIBLE_DEVICES so the GPU-pinning test can see it.
#pragma once

#include "runner/model_engine.h"

namespace lq::fake {

std::unique_ptr<ModelEngine> make_fake_engine();

}  // namespace lq::fake
