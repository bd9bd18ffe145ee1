#include "bnb4_group.h"

#ifdef LQ_BNB4_HAVE_CUDA
#include "bnb4_cuda.h"
#endif

namespace bnb4 {

std::shared_ptr<Bnb4Group> Bnb4Group::of(const std::vector<std::shared_ptr<lq::Linear>>& parts) {
#ifdef LQ_BNB4_HAVE_CUDA
  constexpr size_t kMaxParts = 4;  // what one launch of the tensor-core kernel takes
  if (parts.size() < 2 || parts.size() > kMaxParts) return nullptr;
  std::vector<std::shared_ptr<const Bnb4Linear>> layers;
  for (const auto& part : parts) {
    auto layer = std::dynamic_pointer_cast<const Bnb4Linear>(part);
    if (!layer) return nullptr;
    const QuantizedWeight &w = layer->weight(), &first = layers.empty() ? w : layers[0]->weight();
    if (!w.packed.is_cuda() || w.packed.device() != first.packed.device() || w.cols != first.cols ||
        w.type != first.type || w.nested() != first.nested() ||
        (!layers.empty() && layer->compute_dtype() != layers[0]->compute_dtype()))
      return nullptr;
    layers.push_back(std::move(layer));
  }
  return std::shared_ptr<Bnb4Group>(new Bnb4Group(std::move(layers)));
#else
  (void)parts;
  return nullptr;  // on the CPU the parts run as well one by one
#endif
}

Bnb4Group::Bnb4Group(std::vector<std::shared_ptr<const Bnb4Linear>> parts) : parts_(std::move(parts)) {
  for (const auto& p : parts_) out_features_ += p->out_features();
}

at::Tensor Bnb4Group::forward(const at::Tensor& x) const {
  parts_[0]->check_input(x);
#ifdef LQ_BNB4_HAVE_CUDA
  if (x.is_cuda()) return forward_cuda(weights(), x, {}, next_);
#endif
  std::vector<at::Tensor> outs;
  for (const auto& p : parts_) outs.push_back(p->forward(x));
  return at::cat(outs, -1);
}

at::Tensor Bnb4Group::forward_rms_normed(const at::Tensor& h, const at::Tensor& norm_weight,
                                         double eps) const {
#ifdef LQ_BNB4_HAVE_CUDA
  if (h.is_cuda() && h.scalar_type() == parts_[0]->compute_dtype())
    return forward_normed_cuda(weights(), h, norm_weight, eps, next_);
#else
  (void)h, (void)norm_weight, (void)eps;
#endif
  return {};
}

at::Tensor Bnb4Group::forward_rms_normed_swiglu(const at::Tensor& h, const at::Tensor& norm_weight,
                                                double eps) const {
#ifdef LQ_BNB4_HAVE_CUDA
  if (h.is_cuda() && h.scalar_type() == parts_[0]->compute_dtype() && parts_.size() == 2)
    return forward_normed_swiglu_cuda(weights(), h, norm_weight, eps, next_);
#else
  (void)h, (void)norm_weight, (void)eps;
#endif
  return {};
}

std::vector<const QuantizedWeight*> Bnb4Group::weights() const {
  std::vector<const QuantizedWeight*> ws;
  for (const auto& p : parts_) ws.push_back(&p->weight());
  return ws;
}

std::vector<lq::DeviceBytes> Bnb4Group::device_bytes() const {
  std::vector<lq::DeviceBytes> runs;
  for (const auto& p : parts_)
    for (const lq::DeviceBytes& r : p->device_bytes()) runs.push_back(r);
  return runs;
}

int64_t Bnb4Group::bytes() const {
  int64_t total = 0;
  for (const auto& p : parts_) total += p->bytes();
  return total;
}

std::string Bnb4Group::describe() const {
  std::string names;
  for (const auto& p : parts_) names += (names.empty() ? "" : ", ") + p->name();
  return parts_[0]->describe() + " group of " + std::to_string(parts_.size()) + " (" + names + ")";
}

}  // namespace bnb4
