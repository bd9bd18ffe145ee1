// Bnb4Group: several Bnb4Linear layers that share their input (q/k/v, gate/up of a block) as one layer
// whose output is theirs side by side; on CUDA one tensor-core launch computes them all at decode.
#pragma once

#include <llama_quant/linear.h>

#include <memory>
#include <string>
#include <vector>

#include "bnb4_linear.h"

namespace bnb4 {

class Bnb4Group final : public lq::Linear {
 public:
  // The group of `parts` if it can run as one launch (CUDA, same input size, code type, absmax form and
  // compute dtype, at most four parts), else null.
  static std::shared_ptr<Bnb4Group> of(const std::vector<std::shared_ptr<lq::Linear>>& parts);

  at::Tensor forward(const at::Tensor& x) const override;
  // One row on CUDA: the block's norm inside the matrix-vector kernel; otherwise declined.
  at::Tensor forward_rms_normed(const at::Tensor& h, const at::Tensor& norm_weight,
                                double eps) const override;
  // One row on CUDA, a gate/up pair (two parts of equal shape): the norm and SwiGLU's gate inside the
  // matrix-vector kernel; otherwise declined.
  at::Tensor forward_rms_normed_swiglu(const at::Tensor& h, const at::Tensor& norm_weight,
                                       double eps) const override;
  // The parts' memory, in order.
  std::vector<lq::DeviceBytes> device_bytes() const override;
  // On CUDA the one-row product asks L2 for `next` while it runs.
  void prefetch_next(std::vector<lq::DeviceBytes> next) override { next_ = std::move(next); }
  int64_t in_features() const override { return parts_[0]->in_features(); }
  int64_t out_features() const override { return out_features_; }
  // The parts' storage, which the group shares rather than copies.
  int64_t bytes() const override;
  std::string describe() const override;

 private:
  explicit Bnb4Group(std::vector<std::shared_ptr<const Bnb4Linear>> parts);
  std::vector<const QuantizedWeight*> weights() const;
  std::vector<std::shared_ptr<const Bnb4Linear>> parts_;
  int64_t out_features_ = 0;
  std::vector<lq::DeviceBytes> next_;  // prefetch_next()
};

}  // namespace bnb4
