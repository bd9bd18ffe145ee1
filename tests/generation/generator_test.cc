// LlamaGenerator on a tiny random model: batching and prefix reuse give the same generations as one
// prompt at a time from scratch; EOS, min/max_new_tokens and stop strings split across tokens.
#include <gtest/gtest.h>

#include "../model/tiny_model.h"
#include "generation/decode_step.h"
#include "generation/llama_generator.h"
#include "generation/prefill_graph.h"

namespace lq {
namespace {

std::shared_ptr<const LlamaModel> tiny_model(at::Device device = at::kCPU, at::ScalarType dtype = at::kFloat,
                                             OpImpl ops = OpImpl::kFused) {
  LlamaConfig c = test::tiny_config(true);
  std::unique_ptr<LlamaModel> m = LlamaModel::load(c, *test::random_weights(c, 31), device, dtype);
  m->set_op_impl(ops);
  return m;
}

std::vector<TokenId> random_ids(int64_t n, uint64_t seed) {
  at::manual_seed(seed);
  at::Tensor t = at::randint(0, 256, {n}, at::kLong);
  return std::vector<TokenId>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + n);
}

std::vector<TokenId> concat(std::vector<TokenId> a, const std::vector<TokenId>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

GenerationOptions greedy(int64_t max_new) {
  GenerationOptions o;
  o.max_new_tokens = max_new;
  return o;
}

void expect_same(const std::vector<TokenGeneration>& a, const std::vector<TokenGeneration>& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].tokens, b[i].tokens) << "prompt " << i;
    EXPECT_EQ(a[i].result.new_tokens, b[i].result.new_tokens) << "prompt " << i;
    EXPECT_LT((a[i].first_logits - b[i].first_logits).abs().max().item<double>(), tol) << "prompt " << i;
  }
}

TEST(LlamaGenerator, BatchedEqualsOneAtATime) {
  auto model = tiny_model();
  std::vector<std::vector<TokenId>> prompts;
  for (int64_t n : {3, 11, 7, 1, 15, 9}) prompts.push_back(random_ids(n, uint64_t(n)));
  LlamaGenerator batched(model, nullptr, {8, 4, 0});  // small prefill chunks: several per batch
  LlamaGenerator single(model, nullptr, {1, 512, 0});
  auto a = batched.generate_tokens(prompts, greedy(12));
  auto b = single.generate_tokens(prompts, greedy(12));
  expect_same(a, b, 1e-4);
  for (size_t i = 0; i < prompts.size(); ++i) {
    EXPECT_EQ(a[i].result.prompt_tokens, int64_t(prompts[i].size()));
    EXPECT_EQ(a[i].result.new_tokens, 12);
    EXPECT_EQ(a[i].result.finish_reason, "length");
    EXPECT_EQ(a[i].result.reused_tokens, 0);
  }
}

TEST(LlamaGenerator, PrefixReuseEqualsComputingFromScratch) {
  auto model = tiny_model();
  const auto turn1 = random_ids(20, 1), other = random_ids(10, 2);
  const auto turn2 = concat(turn1, random_ids(6, 3));
  const auto turn3 = concat(turn2, random_ids(5, 4));
  const auto turn4 = concat(turn3, random_ids(3, 5));
  LlamaGenerator reuse(model, nullptr, {4, 512, int64_t{1} << 20});
  LlamaGenerator scratch(model, nullptr, {4, 512, 0});

  // One call: turns run in successive waves, each reusing the previous turn.
  const std::vector<std::vector<TokenId>> call = {turn3, other, turn2, turn1};
  auto a = reuse.generate_tokens(call, greedy(8));
  expect_same(a, scratch.generate_tokens(call, greedy(8)), 1e-4);
  EXPECT_EQ(a[0].result.reused_tokens, 26);
  EXPECT_EQ(a[1].result.reused_tokens, 0);
  EXPECT_EQ(a[2].result.reused_tokens, 20);
  EXPECT_EQ(a[3].result.reused_tokens, 0);

  // A later call reuses what earlier calls cached; a prompt equal to a cached one recomputes its last token.
  const std::vector<std::vector<TokenId>> later = {turn4, other};
  auto b = reuse.generate_tokens(later, greedy(8));
  expect_same(b, scratch.generate_tokens(later, greedy(8)), 1e-4);
  EXPECT_EQ(b[0].result.reused_tokens, 31);
  EXPECT_EQ(b[1].result.reused_tokens, 9);
}

TEST(LlamaGenerator, StopStringSplitAcrossTokensIsCut) {
  auto model = tiny_model();
  auto tok = std::make_shared<test::CharTokenizer>();
  LlamaGenerator gen(model, tok);
  const std::vector<std::string> prompt = {"Story text.\nQ: who\nA:"};
  const std::string free_text = gen.generate(prompt, greedy(20))[0].text;
  ASSERT_EQ(free_text.size(), 20u);
  const std::string stop = free_text.substr(5, 3);  // three one-character tokens
  const size_t at = free_text.find(stop);

  GenerationOptions o = greedy(20);
  o.stop = {stop, "never"};
  Generation g = gen.generate(prompt, o)[0];
  EXPECT_EQ(g.finish_reason, "stop");
  EXPECT_EQ(g.text, free_text.substr(0, at));
  EXPECT_EQ(g.raw_text, free_text.substr(0, at + 3));
  EXPECT_EQ(g.new_tokens, int64_t(at + 3));

  // Stops are ignored before min_new_tokens; the text is still cut before the first occurrence.
  o.min_new_tokens = int64_t(at) + 5;
  g = gen.generate(prompt, o)[0];
  EXPECT_EQ(g.new_tokens, o.min_new_tokens);
  EXPECT_EQ(g.text, free_text.substr(0, at));
}

TEST(LlamaGenerator, EosEndsGenerationUnlessMinNewTokens) {
  auto model = tiny_model();
  const std::vector<std::vector<TokenId>> prompt = {random_ids(9, 7)};
  const TokenId first = LlamaGenerator(model, nullptr).generate_tokens(prompt, greedy(4))[0].tokens.at(0);
  LlamaGenerator gen(model, std::make_shared<test::CharTokenizer>(std::vector<TokenId>{first}));
  TokenGeneration g = gen.generate_tokens(prompt, greedy(6))[0];
  EXPECT_EQ(g.result.finish_reason, "eos");
  EXPECT_EQ(g.result.new_tokens, 1);
  EXPECT_TRUE(g.tokens.empty());

  GenerationOptions o = greedy(6);
  o.min_new_tokens = 6;
  g = gen.generate_tokens(prompt, o)[0];
  EXPECT_EQ(g.result.finish_reason, "length");
  EXPECT_EQ(g.tokens.size(), 6u);
  EXPECT_NE(g.tokens[0], first);
}

// record_margins: every chosen token (the final EOS included) with its score's lead over the runner-up,
// which for the first token is exactly the prompt's logits' top-1 minus top-2; the same tokens as without.
TEST(LlamaGenerator, RecordsEveryChoiceAndItsMargin) {
  auto model = tiny_model();
  const std::vector<std::vector<TokenId>> prompts = {random_ids(9, 7), random_ids(4, 8)};
  const TokenId first = LlamaGenerator(model, nullptr).generate_tokens(prompts, greedy(4))[0].tokens.at(2);
  LlamaGenerator gen(model, std::make_shared<test::CharTokenizer>(std::vector<TokenId>{first}));
  GenerationOptions o = greedy(6);
  const auto plain = gen.generate_tokens(prompts, o);
  o.record_margins = true;
  const auto recorded = gen.generate_tokens(prompts, o);
  for (size_t i = 0; i < prompts.size(); ++i) {
    const Generation& g = recorded[i].result;
    EXPECT_EQ(recorded[i].tokens, plain[i].tokens) << "prompt " << i;
    ASSERT_EQ(static_cast<int64_t>(g.tokens.size()), g.new_tokens) << "prompt " << i;
    ASSERT_EQ(g.margins.size(), g.tokens.size()) << "prompt " << i;
    std::vector<TokenId> kept = g.tokens;
    if (g.finish_reason == "eos") kept.pop_back();
    EXPECT_EQ(kept, recorded[i].tokens) << "prompt " << i;
    const at::Tensor top = std::get<0>(recorded[i].first_logits.topk(2));
    EXPECT_FLOAT_EQ(g.margins[0], (top[0] - top[1]).item<float>()) << "prompt " << i;
    for (float m : g.margins) EXPECT_GE(m, 0.0f);
    EXPECT_TRUE(plain[i].result.margins.empty() && plain[i].result.tokens.empty());
  }
  EXPECT_EQ(recorded[0].result.finish_reason, "eos");  // its third token (at the latest) is the EOS
}

TEST(LlamaGenerator, TimeGenerationDecodesEveryToken) {
  LlamaGenerator gen(tiny_model(), nullptr);
  GenerationTiming t = gen.time_generation({random_ids(16, 8), random_ids(16, 9)}, 5);
  EXPECT_EQ(t.batch, 2);
  EXPECT_EQ(t.prompt_tokens, 16);
  EXPECT_EQ(t.new_tokens, 5);
  EXPECT_GT(t.prefill_s, 0);
  EXPECT_GT(t.decode_s, 0);
}

TEST(LlamaGenerator, BadPromptsAreClearErrors) {
  LlamaGenerator gen(tiny_model(), nullptr);
  EXPECT_THROW(gen.generate_tokens({{}}, greedy(2)), Error);
  EXPECT_THROW(gen.generate_tokens({{1, 256}}, greedy(2)), Error);
  EXPECT_THROW(gen.generate({"text"}, greedy(2)), Error);  // no tokenizer
  GenerationOptions o = greedy(2);
  o.stop = {"x"};
  EXPECT_THROW(gen.generate_tokens({{1}}, o), Error);
}

// The decode step the CUDA graph captures, run eagerly on the CPU: the same tokens as the reference path.
TEST(DecodeStep, EagerStepsEqualReferenceDecoding) {
  auto model = tiny_model();
  const std::vector<std::vector<TokenId>> prompts = {random_ids(6, 21), random_ids(6, 22)};
  auto want = LlamaGenerator(model, nullptr, {2, 512, 0}).generate_tokens(prompts, greedy(9));

  const int64_t B = 2, T = 6, new_tokens = 9;
  KvCache cache = model->make_cache(B, T + new_tokens + 3);
  cache.valid().fill_(true);
  at::Tensor ids = at::tensor(concat(prompts[0], prompts[1]), at::kLong).view({B, T});
  at::Tensor pos = at::arange(T, at::kLong).repeat({B, 1});
  at::Tensor first = model->forward(ids, pos, cache, 0, /*last_only=*/true).argmax(-1);
  DecodeStep step(*model, cache, /*use_graph=*/true);  // no graph on the CPU: every step eager
  EXPECT_FALSE(step.graphed());
  step.reset(first, at::full({B}, T, at::kLong), T);
  std::vector<std::vector<int64_t>> got(B);
  for (int64_t r = 0; r < B; ++r) got[size_t(r)].push_back(first[r].item<int64_t>());
  for (int64_t t = 1; t < new_tokens; ++t) {
    at::Tensor next = step.run();
    for (int64_t r = 0; r < B; ++r) got[size_t(r)].push_back(next[r].item<int64_t>());
  }
  for (int64_t r = 0; r < B; ++r) {  // the reference stops early at an EOS; compare what it made
    const auto& w = want[size_t(r)].tokens;
    EXPECT_EQ(std::vector<int64_t>(got[size_t(r)].begin(), got[size_t(r)].begin() + long(w.size())),
              std::vector<int64_t>(w.begin(), w.end()))
        << "row " << r;
  }

  // A banned token is never chosen; running past the cache is an error, not a write out of bounds.
  step.reset(first, at::full({B}, T, at::kLong), T);
  at::Tensor banned = at::tensor(std::vector<int64_t>{got[0][1], got[1][1]}, at::kLong);
  step.ban(banned, true);
  at::Tensor next = step.run();
  for (int64_t r = 0; r < B; ++r) {
    EXPECT_NE(next[r].item<int64_t>(), got[0][1]);
    EXPECT_NE(next[r].item<int64_t>(), got[1][1]);
  }
  step.reset(first, at::full({B}, T, at::kLong), cache.capacity());
  EXPECT_THROW(step.run(), Error);
}

// The CUDA graph replays the captured step: fp32 tokens equal the eager reference path's, across calls
// (later batches replay the graph captured for the first) and with EOS banned below min_new_tokens.
TEST(LlamaGeneratorCuda, GraphDecodeEqualsReferencePath) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device in this libtorch";
  auto model = tiny_model(at::Device(at::kCUDA, 0), at::kFloat);
  GeneratorOptions graphs{4, 512, 0, true}, reference{4, 512, 0, false};
  LlamaGenerator fast(model, nullptr, graphs), slow(model, nullptr, reference);
  for (uint64_t call = 0; call < 3; ++call) {
    std::vector<std::vector<TokenId>> prompts;
    for (int64_t n : {5, 12, 9, 3}) prompts.push_back(random_ids(n, 100 * call + uint64_t(n)));
    GenerationOptions o = greedy(10);
    o.min_new_tokens = call == 2 ? 10 : 0;
    expect_same(fast.generate_tokens(prompts, o), slow.generate_tokens(prompts, o), 1e-4);
  }
  GenerationTiming t = fast.time_generation({random_ids(16, 8)}, 6);
  EXPECT_EQ(t.new_tokens, 6);
  EXPECT_GT(t.decode_s, 0);
}

#ifdef LQ_HAVE_CUDA
// A prefill shape runs eagerly the first time, eagerly and captured the second time in a row, replayed from
// then on with each call's own inputs; another shape in between, or one over kMostTokens, stays eager.
TEST(PrefillGraph, CapturesTheSecondTimeAndReplaysNewInputs) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device in this libtorch";
  const at::Device cuda(at::kCUDA, 0);
  auto want = [](const at::Tensor& tokens, const at::Tensor& positions) {
    return (tokens * 3 + positions).to(at::kFloat).sum(1, /*keepdim=*/true);
  };
  int calls = 0;
  const PrefillGraph::Forward forward = [&](const at::Tensor& tokens, const at::Tensor& positions) {
    ++calls;
    return want(tokens, positions);
  };
  PrefillGraph graph;
  for (int i = 0; i < 5; ++i) {
    const at::Tensor tokens = at::randint(0, 1000, {2, 7}, at::kLong),
                     positions = at::arange(7).repeat({2, 1});
    const at::Tensor got = graph.run(tokens, positions, 0, cuda, forward);
    EXPECT_TRUE(at::equal(got.cpu(), want(tokens, positions))) << "call " << i;
    EXPECT_EQ(calls, i == 0 ? 1 : 3) << "call " << i;  // eager; eager + capture; then replays
  }
  const at::Tensor other = at::randint(0, 1000, {2, 5}, at::kLong),
                   other_positions = at::arange(5).repeat({2, 1});
  EXPECT_TRUE(
      at::equal(graph.run(other, other_positions, 0, cuda, forward).cpu(), want(other, other_positions)));
  EXPECT_EQ(calls, 4);
  const int64_t long_t = PrefillGraph::kMostTokens + 1;
  const at::Tensor big = at::zeros({1, long_t}, at::kLong), big_positions = at::arange(long_t).view({1, -1});
  for (int i = 0; i < 3; ++i) graph.run(big, big_positions, 0, cuda, forward);
  EXPECT_EQ(calls, 7);
}

// A forward that waits on the host cannot be captured: the second call still returns its eager result, and
// from then on the shape runs eagerly, with no error.
TEST(PrefillGraph, AFailedCaptureStaysEager) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device in this libtorch";
  const at::Device cuda(at::kCUDA, 0);
  int calls = 0;
  const PrefillGraph::Forward forward = [&](const at::Tensor& tokens, const at::Tensor& positions) {
    ++calls;
    const int64_t total = tokens.sum().item<int64_t>();  // a copy to the host: not capturable
    return (positions + total).to(at::kFloat);
  };
  PrefillGraph graph;
  for (int i = 0; i < 4; ++i) {
    const at::Tensor tokens = at::full({1, 4}, i, at::kLong), positions = at::arange(4).view({1, 4});
    const at::Tensor got = graph.run(tokens, positions, 0, cuda, forward);
    EXPECT_TRUE(at::equal(got.cpu(), (positions + 4 * i).to(at::kFloat))) << "call " << i;
  }
  EXPECT_EQ(calls, 5);  // eager; eager + the failed capture; eager twice
  EXPECT_TRUE(at::equal(at::ones({3}, at::TensorOptions().device(cuda)).sum().cpu(), at::full({}, 3.0)));
}

// Prefill replayed from its capture gives the reference path's generations: three calls with prompts of the
// same lengths (so the third prefill replays the graph captured in the second), each call's own tokens.
TEST(LlamaGeneratorCuda, ReplayedPrefillEqualsReferencePath) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device in this libtorch";
  auto model = tiny_model(at::Device(at::kCUDA, 0), at::kFloat);
  LlamaGenerator fast(model, nullptr, {4, 512, 0, true}), slow(model, nullptr, {4, 512, 0, false});
  for (uint64_t call = 0; call < 4; ++call) {
    std::vector<std::vector<TokenId>> prompts;
    for (int64_t n : {5, 12, 9, 3}) prompts.push_back(random_ids(n, 1000 * call + uint64_t(n)));
    expect_same(fast.generate_tokens(prompts, greedy(6)), slow.generate_tokens(prompts, greedy(6)), 1e-4);
  }
}
#endif

// The fast path (graph replay over the framework's fused kernels: norms, rotary embeddings + cache append,
// decode attention, MLP gate) against libtorch's operators run eagerly, in each dtype: the same tokens,
// first logits within a few units in the last place of the dtype.
TEST(LlamaGeneratorCuda, FusedKernelsEqualLibtorchOps) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device in this libtorch";
  for (at::ScalarType dtype : {at::kFloat, at::kHalf, at::kBFloat16}) {
    const at::Device cuda(at::kCUDA, 0);
    LlamaGenerator fast(tiny_model(cuda, dtype), nullptr, {4, 512, 0, true});
    LlamaGenerator reference(tiny_model(cuda, dtype, OpImpl::kLibtorch), nullptr, {4, 512, 0, false});
    std::vector<std::vector<TokenId>> prompts;
    for (int64_t n : {5, 12, 9, 3}) prompts.push_back(random_ids(n, 40 + uint64_t(n)));
    auto a = fast.generate_tokens(prompts, greedy(8)), b = reference.generate_tokens(prompts, greedy(8));
    const double tol = dtype == at::kFloat ? 1e-4 : dtype == at::kHalf ? 1e-2 : 5e-2;
    if (dtype == at::kFloat) {
      expect_same(a, b, tol);
      continue;
    }
    for (size_t i = 0; i < prompts.size(); ++i) {  // half precision: compare the logits of the prompt only
      const double scale = b[i].first_logits.abs().max().item<double>();
      EXPECT_LT((a[i].first_logits - b[i].first_logits).abs().max().item<double>(), tol * scale)
          << at::toString(dtype) << " prompt " << i;
    }
  }
}

// Margins from the replayed graph equal the eager path's.
TEST(LlamaGeneratorCuda, GraphRecordsTheEagerMargins) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device in this libtorch";
  auto model = tiny_model(at::Device(at::kCUDA, 0), at::kFloat);
  LlamaGenerator fast(model, nullptr, {4, 512, 0, true}), slow(model, nullptr, {4, 512, 0, false});
  std::vector<std::vector<TokenId>> prompts;
  for (int64_t n : {5, 12, 9}) prompts.push_back(random_ids(n, 70 + uint64_t(n)));
  GenerationOptions o = greedy(8);
  o.record_margins = true;
  const auto a = fast.generate_tokens(prompts, o), b = slow.generate_tokens(prompts, o);
  for (size_t i = 0; i < prompts.size(); ++i) {
    EXPECT_EQ(a[i].result.tokens, b[i].result.tokens) << "prompt " << i;
    ASSERT_EQ(a[i].result.margins.size(), b[i].result.margins.size()) << "prompt " << i;
    for (size_t t = 0; t < a[i].result.margins.size(); ++t)
      EXPECT_NEAR(a[i].result.margins[t], b[i].result.margins[t], 1e-3) << "prompt " << i << " token " << t;
  }
}

TEST(LlamaGeneratorCuda, BatchedMatchesOneAtATimeInHalfPrecision) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device in this libtorch";
  for (at::ScalarType dtype : {at::kHalf, at::kBFloat16}) {
    auto model = tiny_model(at::Device(at::kCUDA, 0), dtype);
    std::vector<std::vector<TokenId>> prompts;
    for (int64_t n : {3, 11, 7, 15}) prompts.push_back(random_ids(n, uint64_t(n)));
    auto a = LlamaGenerator(model, nullptr, {8, 512, 0}).generate_tokens(prompts, greedy(6));
    auto b = LlamaGenerator(model, nullptr, {1, 512, 0}).generate_tokens(prompts, greedy(6));
    for (size_t i = 0; i < prompts.size(); ++i) {
      const double scale = b[i].first_logits.abs().max().item<double>();
      EXPECT_LT((a[i].first_logits - b[i].first_logits).abs().max().item<double>(), 0.02 * scale)
          << at::toString(dtype) << " prompt " << i;
    }
  }
}

}  // namespace
}  // namespace lq
