// A QuantBackend proxy whose every quantized layer also keeps the plugin library loaded.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "llama_quant/backend.h"
#include "plugin/anchored.h"

namespace lq {

template <class Library>
class AnchoredBackend final : public QuantBackend {
 public:
  AnchoredBackend(std::shared_ptr<QuantBackend> inner, std::shared_ptr<Library> library)
      : inner_(std::move(inner)), library_(std::move(library)) {}

  void configure(const Params& params, Diagnostics& diag) override { inner_->configure(params, diag); }
  bool wants(const std::string& name) const override { return inner_->wants(name); }
  std::shared_ptr<Linear> quantize(const std::string& name, const at::Tensor& weight,
                                   const QuantizeContext& ctx) override {
    return anchored(inner_->quantize(name, weight, ctx), library_);
  }
  std::shared_ptr<Linear> fuse(const std::vector<std::shared_ptr<Linear>>& parts) const override {
    std::shared_ptr<Linear> fused = inner_->fuse(parts);
    return fused ? anchored(std::move(fused), library_) : nullptr;
  }
  json settings() const override { return inner_->settings(); }

 private:
  std::shared_ptr<QuantBackend> inner_;
  std::shared_ptr<Library> library_;
};

}  // namespace lq
