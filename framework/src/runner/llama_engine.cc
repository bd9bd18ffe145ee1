// The ModelEngine over the Llama model of framework/src/model.
#include "runner/model_engine.h"

namespace lq {

std::unique_ptr<ModelEngine> make_llama_engine() {
  throw Error("the Llama model engine is not part of this build yet");
}

}  // namespace lq
