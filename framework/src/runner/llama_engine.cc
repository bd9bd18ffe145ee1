// The ModelEngine over the Llama model of framework/src/model: load = open the model files, quantize =
// build the model on the device with the backend replacing its linear layers.
#include "generation/llama_generator.h"
#include "model/llama_model.h"
#include "model/model_files.h"
#include "ops/op_impl.h"
#include "runner/model_engine.h"
#include "tokenizer/open_tokenizer.h"

namespace lq {
namespace {

#ifdef LQ_HAVE_CUDA
constexpr bool kBuiltWithCuda = true;
#else
constexpr bool kBuiltWithCuda = false;
#endif

at::Device resolve_device(const std::string& device) {
  if (device == "auto") return at::hasCUDA() ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
  at::Device d(device);
  if (d.is_cuda() && !at::hasCUDA())
    throw Error("device '" + device + "' asked for, but " +
                (kBuiltWithCuda ? std::string("no CUDA GPU is visible")
                                : std::string("this build has no CUDA support")));
  if (d.is_cuda() && !d.has_index()) return at::Device(at::kCUDA, 0);
  return d;
}

at::ScalarType resolve_dtype(const std::string& dtype, const at::Device& device) {
  if (dtype == "float16") return at::kHalf;
  if (dtype == "bfloat16") return at::kBFloat16;
  if (dtype == "float32") return at::kFloat;
  if (dtype == "auto") return device.is_cuda() ? at::kHalf : at::kFloat;
  throw Error("unknown dtype '" + dtype + "'; expected float16, bfloat16, float32 or auto");
}

class LlamaEngine final : public ModelEngine, public BenchTarget {
 public:
  void load(const Experiment& e) override {
    device_ = resolve_device(e.device);
    dtype_ = resolve_dtype(e.dtype, device_);
    files_ = std::make_unique<ModelFiles>(open_model_files(e.model.path, e.model.random_seed));
    tokenizer_source_ = files_->tokenizer ? e.model.path.string() : "";
    if (e.model.tokenizer) {
      const std::string path = e.model.tokenizer->string();
      files_->tokenizer = open_tokenizer(*e.model.tokenizer);
      // Ids past the embedding table would index out of it.
      if (files_->tokenizer->vocab_size() > files_->config.vocab_size)
        throw Error(path + ": the tokenizer has " + std::to_string(files_->tokenizer->vocab_size()) +
                    " tokens, more than the model's vocab_size " + std::to_string(files_->config.vocab_size));
      tokenizer_source_ = path;
    }
    options_.max_batch = e.generation.max_batch;
    options_.cuda_graphs = e.generation.cuda_graphs;
    op_impl_ = e.generation.fused_kernels ? OpImpl::kFused : OpImpl::kLibtorch;
    options_.prefix_cache_bytes = e.generation.prefix_reuse ? e.generation.prefix_cache_mb << 20 : 0;
  }

  void quantize(QuantBackend& backend) override {
    std::unique_ptr<LlamaModel> model = LlamaModel::load(*files_, device_, dtype_, &backend);
    model->set_op_impl(op_impl_);
    model_ = std::move(model);
    generator_ = std::make_unique<LlamaGenerator>(model_, files_->tokenizer, options_);
  }

  std::string device() const override { return device_.str(); }
  int64_t weight_bytes() const override { return model_->weight_bytes(); }
  json describe() const override {
    return {{"format", files_->format},
            {"dtype", std::string(at::toString(dtype_))},
            {"config", files_->config.to_json()},
            {"layers", model_->format_summary()},
            {"tokenizer", tokenizer_source_.empty() ? json(nullptr) : json(tokenizer_source_)},
            {"generator",
             {{"max_batch", options_.max_batch},
              {"prefill_chunk", options_.prefill_chunk},
              {"prefix_cache_bytes", options_.prefix_cache_bytes},
              {"cuda_graphs", options_.cuda_graphs},
              {"fused_kernels", op_impl_ == OpImpl::kFused}}}};
  }
  Generator& generator() override {
    if (!files_->tokenizer)
      throw Error(
          "the model has no tokenizer (a bare config.json): tasks cannot run on it; name one with "
          "model.tokenizer");
    return *generator_;
  }
  BenchTarget& bench_target() override { return *this; }
  void release() override {
    generator_.reset();
    model_.reset();
    files_.reset();
  }

  void prefill(const std::vector<std::vector<TokenId>>& prompts) override {
    generator_->time_generation(prompts, 1);
  }
  double decode_seconds(const std::vector<std::vector<TokenId>>& prompts, int64_t new_tokens) override {
    return generator_->time_generation(prompts, new_tokens + 1).decode_s;
  }
  int64_t vocab_size() const override { return files_->config.vocab_size; }
  int64_t max_positions() const override { return files_->config.max_position_embeddings; }

 private:
  at::Device device_ = at::kCPU;
  at::ScalarType dtype_ = at::kFloat;
  std::unique_ptr<ModelFiles> files_;
  std::string tokenizer_source_;  // where the tokenizer came from; empty when there is none
  GeneratorOptions options_;
  OpImpl op_impl_ = OpImpl::kFused;
  std::shared_ptr<LlamaModel> model_;
  std::unique_ptr<LlamaGenerator> generator_;
};

}  // namespace

std::unique_ptr<ModelEngine> make_llama_engine() { return std::make_unique<LlamaEngine>(); }

}  // namespace lq
