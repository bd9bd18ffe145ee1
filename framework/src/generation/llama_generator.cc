#include "generation/llama_generator.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "generation/prefix_schedule.h"
#include "generation/stop_strings.h"
#include "ops/greedy.h"

namespace lq {

// One batch laid out in the cache: row b's prompt fills slots [pad_b, width), of which the first
// reused_b came from the prefix cache; slots [first_slot, width) are computed by the prefill.
struct LlamaGenerator::Batch {
  std::vector<const std::vector<TokenId>*> prompts;
  std::vector<int64_t> pad, reused;
  int64_t width = 0, first_slot = 0;
  KvCache* cache = nullptr;
};

LlamaGenerator::LlamaGenerator(std::shared_ptr<const LlamaModel> model,
                               std::shared_ptr<const Tokenizer> tokenizer, GeneratorOptions options)
    : model_(std::move(model)),
      tokenizer_(std::move(tokenizer)),
      options_(options),
      prefix_(options.prefix_cache_bytes) {
  if (!model_) throw Error("LlamaGenerator needs a model");
  if (options_.max_batch < 1 || options_.prefill_chunk < 1)
    throw Error("generator: max_batch and prefill_chunk must be at least 1");
}

const Tokenizer& LlamaGenerator::tokenizer() const {
  if (!tokenizer_) throw Error("this model has no tokenizer (random weights from a bare config.json?)");
  return *tokenizer_;
}

std::vector<TokenId> LlamaGenerator::eos_ids() const {
  std::vector<TokenId> ids;
  if (tokenizer_) ids = tokenizer_->eos_ids();
  for (int64_t id : model_->config().eos_token_ids) ids.push_back(static_cast<TokenId>(id));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  ids.erase(std::remove_if(ids.begin(), ids.end(),
                           [&](TokenId id) { return id < 0 || id >= model_->config().vocab_size; }),
            ids.end());
  return ids;
}

KvCache& LlamaGenerator::cache_for(int64_t batch, int64_t capacity) {
  if (!cache_ || cache_->batch() != batch || cache_->capacity() < capacity) {
    decode_.reset();  // bound to the old cache
#ifdef LQ_HAVE_CUDA
    prefill_graph_.reset();
#endif
    cache_.reset();  // free the old cache before allocating the new one
    const int64_t rounded = (capacity + 63) / 64 * 64;
    cache_ = std::make_unique<KvCache>(model_->make_cache(batch, rounded));
  }
  cache_->clear();
  return *cache_;
}

DecodeStep* LlamaGenerator::fast_decode(KvCache& cache, bool record_margins) {
  if (!options_.cuda_graphs || !model_->device().is_cuda()) return nullptr;
  if (!decode_ || &decode_->cache() != &cache || decode_->records_margins() != record_margins)
    decode_ = std::make_unique<DecodeStep>(*model_, cache, /*use_graph=*/true, record_margins);
  return decode_.get();
}

LlamaGenerator::Batch LlamaGenerator::start_batch(const std::vector<const std::vector<TokenId>*>& prompts,
                                                  int64_t new_tokens, bool reuse) {
  Batch b;
  b.prompts = prompts;
  const int64_t B = static_cast<int64_t>(prompts.size());
  for (const auto* p : prompts) {
    if (p->empty()) throw Error("generator: empty prompt (no tokens to condition on)");
    for (TokenId id : *p)
      if (id < 0 || id >= model_->config().vocab_size)
        throw Error("generator: token id " + std::to_string(id) + " outside the vocabulary of " +
                    std::to_string(model_->config().vocab_size));
    b.width = std::max<int64_t>(b.width, static_cast<int64_t>(p->size()));
  }
  b.cache = &cache_for(B, b.width + new_tokens);
  at::Tensor valid = at::zeros({B, b.cache->capacity()}, at::kBool);
  b.first_slot = b.width;
  for (int64_t r = 0; r < B; ++r) {
    const auto& p = *prompts[static_cast<size_t>(r)];
    const int64_t len = static_cast<int64_t>(p.size()), pad = b.width - len;
    int64_t reused = 0;
    if (reuse && options_.prefix_cache_bytes > 0) {
      PrefixCache::Match m = prefix_.lookup(p);
      reused = std::min(m.length, len - 1);  // the last prompt token is always computed: it gives the logits
      if (reused > 0) {                      // all layers in one copy each
        b.cache->all_keys().select(1, r).narrow(2, pad, reused).copy_(m.entry->keys.narrow(2, 0, reused));
        b.cache->all_values().select(1, r).narrow(2, pad, reused).copy_(m.entry->values.narrow(2, 0, reused));
      }
    }
    valid[r].narrow(0, pad, len).fill_(true);
    b.pad.push_back(pad);
    b.reused.push_back(reused);
    b.first_slot = std::min(b.first_slot, pad + reused);
  }
  // Decode slots are valid from the start: a query never reads a slot after its own.
  valid.narrow(1, b.width, new_tokens).fill_(true);
  b.cache->valid().copy_(valid);
  return b;
}

at::Tensor LlamaGenerator::prefill(const Batch& b) {
  const int64_t B = static_cast<int64_t>(b.prompts.size()), T = b.width - b.first_slot;
  at::Tensor tokens = at::zeros({B, T}, at::kLong), positions = at::zeros({B, T}, at::kLong);
  auto tok = tokens.accessor<int64_t, 2>();
  auto pos = positions.accessor<int64_t, 2>();
  for (int64_t r = 0; r < B; ++r)
    for (int64_t s = std::max(b.first_slot, b.pad[static_cast<size_t>(r)]); s < b.width; ++s) {
      const int64_t i = s - b.pad[static_cast<size_t>(r)];
      tok[r][s - b.first_slot] = (*b.prompts[static_cast<size_t>(r)])[static_cast<size_t>(i)];
      pos[r][s - b.first_slot] = i;
    }
  auto forward = [&](const at::Tensor& tokens_on_device, const at::Tensor& positions_on_device) {
    at::Tensor logits;
    for (int64_t start = 0; start < T; start += options_.prefill_chunk) {
      const int64_t n = std::min(options_.prefill_chunk, T - start);
      logits = model_->forward(tokens_on_device.narrow(1, start, n), positions_on_device.narrow(1, start, n),
                               *b.cache, b.first_slot + start, /*last_only=*/true);
    }
    return logits;
  };
#ifdef LQ_HAVE_CUDA
  if (options_.cuda_graphs && model_->device().is_cuda()) {
    if (!prefill_graph_) prefill_graph_ = std::make_unique<PrefillGraph>();
    return prefill_graph_->run(tokens, positions, b.first_slot, model_->device(), forward);
  }
#endif
  return forward(tokens.to(model_->device()), positions.to(model_->device()));
}

std::vector<TokenGeneration> LlamaGenerator::run_batch(
    const std::vector<const std::vector<TokenId>*>& prompts, const GenerationOptions& options) {
  const int64_t B = static_cast<int64_t>(prompts.size());
  const int64_t max_new = options.max_new_tokens;
  std::vector<TokenGeneration> out(static_cast<size_t>(B));
  for (int64_t r = 0; r < B; ++r) {
    out[static_cast<size_t>(r)].result.prompt_tokens =
        static_cast<int64_t>(prompts[static_cast<size_t>(r)]->size());
    out[static_cast<size_t>(r)].result.finish_reason = "length";
  }
  if (max_new <= 0) return out;
  if (!options.stop.empty() && !tokenizer_) throw Error("generator: stop strings need a tokenizer");

  Batch b = start_batch(prompts, max_new, /*reuse=*/true);
  at::Tensor logits = prefill(b);
  if (options_.prefix_cache_bytes > 0) {
    for (int64_t r = 0; r < B; ++r) {
      const auto& p = *prompts[static_cast<size_t>(r)];
      PrefixCache::Entry e;
      e.tokens = p;
      const int64_t pad = b.pad[static_cast<size_t>(r)], len = static_cast<int64_t>(p.size());
      e.keys = b.cache->all_keys().select(1, r).narrow(2, pad, len).clone();
      e.values = b.cache->all_values().select(1, r).narrow(2, pad, len).clone();
      e.bytes = 2 * e.keys.numel() * static_cast<int64_t>(e.keys.element_size());
      prefix_.insert(std::move(e));
    }
  }

  const std::vector<TokenId> eos = eos_ids();
  at::Tensor eos_index =
      at::tensor(std::vector<int64_t>(eos.begin(), eos.end()), at::kLong).to(model_->device());
  // The token chosen from `logits` as the step-th new token (EOS banned below min_new_tokens), and with
  // record_margins its margin over the runner-up into `margin`.
  at::Tensor margin;
  auto choose = [&](const at::Tensor& logits, int64_t step) {
    at::Tensor scores = logits.to(at::kFloat);
    if (step < options.min_new_tokens && !eos.empty())
      scores.index_fill_(1, eos_index, -std::numeric_limits<float>::infinity());
    if (options.record_margins) margin = top_margin(scores);
    return scores.argmax(-1);
  };
  std::vector<int64_t> lens;
  for (const auto* p : prompts) lens.push_back(static_cast<int64_t>(p->size()));
  at::Tensor first_position = at::tensor(lens, at::kLong).to(model_->device()).view({B, 1});
  const at::Tensor first_logits = logits.to(at::kFloat).cpu();  // one transfer for the whole batch
  for (int64_t r = 0; r < B; ++r) out[static_cast<size_t>(r)].first_logits = first_logits[r].clone();
  at::Tensor next = choose(logits, 0);
  DecodeStep* fast = fast_decode(*b.cache, options.record_margins);
  if (fast) fast->reset(next, first_position, b.width);

  std::vector<bool> done(static_cast<size_t>(B), false);
  int64_t remaining = B;
  for (int64_t step = 0;; ++step) {
    at::Tensor next_cpu = next.cpu();
    auto next_ids = next_cpu.accessor<int64_t, 1>();
    const at::Tensor margin_cpu = options.record_margins ? margin.cpu() : at::Tensor();  // [B] float32
    const float* margins = options.record_margins ? margin_cpu.data_ptr<float>() : nullptr;
    for (int64_t r = 0; r < B; ++r) {
      if (done[static_cast<size_t>(r)]) continue;
      TokenGeneration& g = out[static_cast<size_t>(r)];
      const auto id = static_cast<TokenId>(next_ids[r]);
      g.result.new_tokens = step + 1;
      if (options.record_margins) {
        g.result.tokens.push_back(id);
        g.result.margins.push_back(margins[r]);
      }
      bool finished = false;
      if (std::binary_search(eos.begin(), eos.end(), id)) {
        g.result.finish_reason = "eos";
        finished = true;
      } else {
        g.tokens.push_back(id);
        if (!options.stop.empty() && step + 1 >= options.min_new_tokens &&
            find_stop(tokenizer_->decode(g.tokens, /*skip_special=*/true), options.stop)) {
          g.result.finish_reason = "stop";
          finished = true;
        }
      }
      if (finished || step + 1 >= max_new) {
        done[static_cast<size_t>(r)] = true;
        --remaining;
      }
    }
    if (remaining == 0) break;
    if (fast) {
      fast->ban(eos_index, step + 1 < options.min_new_tokens);
      next = fast->run();
      if (options.record_margins) margin = fast->margins();
    } else {
      next = choose(model_->forward(next.view({B, 1}), first_position + step, *b.cache, b.width + step,
                                    /*last_only=*/true),
                    step + 1);
    }
  }

  for (int64_t r = 0; r < B; ++r) {
    Generation& g = out[static_cast<size_t>(r)].result;
    g.reused_tokens = b.reused[static_cast<size_t>(r)];
    if (!tokenizer_) continue;
    g.raw_text = tokenizer_->decode(out[static_cast<size_t>(r)].tokens, /*skip_special=*/true);
    g.text = g.raw_text;
    if (g.finish_reason == "stop") g.text = g.raw_text.substr(0, *find_stop(g.raw_text, options.stop));
  }
  return out;
}

std::vector<TokenGeneration> LlamaGenerator::generate_tokens(const std::vector<std::vector<TokenId>>& prompts,
                                                             const GenerationOptions& options,
                                                             const ProgressFn& progress) {
  std::vector<TokenGeneration> out(prompts.size());
  int64_t done = 0;
  const auto total = static_cast<int64_t>(prompts.size());
  for (const std::vector<size_t>& indices : prefix_batches(prompts, options_.max_batch)) {
    std::vector<const std::vector<TokenId>*> batch;
    for (size_t i : indices) batch.push_back(&prompts[i]);
    std::vector<TokenGeneration> results = run_batch(batch, options);
    for (size_t k = 0; k < indices.size(); ++k) out[indices[k]] = std::move(results[k]);
    done += static_cast<int64_t>(indices.size());
    if (progress) progress(done, total);
  }
  return out;
}

std::vector<Generation> LlamaGenerator::generate(const std::vector<std::string>& prompts,
                                                 const GenerationOptions& options,
                                                 const ProgressFn& progress) {
  const Tokenizer& tok = tokenizer();
  std::vector<std::vector<TokenId>> ids;
  ids.reserve(prompts.size());
  for (const std::string& p : prompts) ids.push_back(tok.encode(p, options.add_special));
  std::vector<Generation> out;
  out.reserve(prompts.size());
  for (TokenGeneration& g : generate_tokens(ids, options, progress)) out.push_back(std::move(g.result));
  return out;
}

GenerationTiming LlamaGenerator::time_generation(const std::vector<std::vector<TokenId>>& prompts,
                                                 int64_t new_tokens) {
  if (prompts.empty() || new_tokens < 1) throw Error("time_generation needs prompts and new_tokens >= 1");
  using clock = std::chrono::steady_clock;
  auto seconds = [](clock::time_point a, clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  };
  std::vector<const std::vector<TokenId>*> batch;
  for (const auto& p : prompts) batch.push_back(&p);
  const int64_t B = static_cast<int64_t>(prompts.size());

  Batch b = start_batch(batch, new_tokens, /*reuse=*/false);
  std::vector<int64_t> lens;
  for (const auto& p : prompts) lens.push_back(static_cast<int64_t>(p.size()));
  at::Tensor position = at::tensor(lens, at::kLong).to(model_->device()).view({B, 1});
  b.cache->valid().cpu();  // synchronise before the clock starts

  const auto t0 = clock::now();
  at::Tensor next = prefill(b).argmax(-1, /*keepdim=*/true);
  next.cpu();
  const auto t1 = clock::now();
  if (DecodeStep* fast = fast_decode(*b.cache)) {
    fast->reset(next, position, b.width);
    for (int64_t step = 0; step + 1 < new_tokens; ++step) next = fast->run();
  } else {
    for (int64_t step = 0; step + 1 < new_tokens; ++step) {
      at::Tensor logits =
          model_->forward(next, position + step, *b.cache, b.width + step, /*last_only=*/true);
      next = logits.argmax(-1, /*keepdim=*/true);
    }
  }
  next.cpu();
  const auto t2 = clock::now();
  return {B, b.width, new_tokens, seconds(t0, t1), seconds(t1, t2)};
}

}  // namespace lq
