// Where a decode layer's 4-bit M = 1 launches spend their time, CTA by CTA: the Llama-3.2-1B layer's four
// products (q/k/v with the norm, o + residual, gate/up with the norm and SwiGLU's gate, down + residual),
// 16 layers of distinct random weights (no launch finds its bytes in L2), chained and replayed from a CUDA
// graph as decode runs them. The kernel's source is compiled here with LQ_PHASE_STAMPS, so that thread 0 of
// each CTA stamps the global timer at each phase (plugins/bnb4/numerics/phase_stamps.cuh); the values the
// products compute are not looked at.
//
// Prints, per product (medians over the 16 layers of one replay after warm-up), the launch's span from its
// first CTA's start to its last CTA's end, how far its first CTA starts before the previous launch's last CTA
// ends, and each phase's median across CTAs and layers; then the spread of its CTAs' starts and ends
// measured from the previous launch's end; then whether the late CTAs are late by the SM they run on or by
// the rows they take. Phases:
//   0 -> 1  the first steps' loads issued        3 -> 4  x (or the norm of h) staged
//   1 -> 2  the code table written               4 -> 5  warp 0's steps consumed
//   2 -> 3  the wait for the kernel before it    5 -> 6  every warp's sums in shared memory
//                                                6 -> 7  thread 0's row stored
// On the GPU machine, from the repo root (NF4; `--nested` for double quant):
//   nvcc -arch=sm_90 -O3 -std=c++17 -ftz=true -DLQ_BNB4_KERNELS=1 -Iframework/include -Iplugins/bnb4 \
//     -Iplugins/bnb4/numerics -o build-gpu/matvec_phases scripts/gpu/matvec_phases.cu \
//     plugins/bnb4/numerics/codebook_cpu.cc && build-gpu/matvec_phases
#define LQ_PHASE_STAMPS
#include "../../plugins/bnb4/numerics/matvec_4bit_mma_gpu.cu"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <vector>

namespace {

#define CK(x)                                                                        \
  do {                                                                               \
    const cudaError_t e_ = (x);                                                      \
    if (e_ != cudaSuccess) {                                                         \
      std::printf("CUDA %s at %s:%d\n", cudaGetErrorString(e_), __FILE__, __LINE__); \
      std::exit(1);                                                                  \
    }                                                                                \
  } while (0)

template <typename V>
V* upload(const std::vector<V>& host) {
  V* p = nullptr;
  CK(cudaMalloc(&p, host.size() * sizeof(V)));
  CK(cudaMemcpy(p, host.data(), host.size() * sizeof(V), cudaMemcpyHostToDevice));
  return p;
}

// A rows x K NF4 weight of random codes and scales, blocksize 64; nested: 8-bit scale codes and absmax2.
bnb4::Packed4bit random_weight(int64_t rows, int64_t K, bool nested, std::mt19937& rng) {
  const int64_t n = rows * K, blocks = n / 64;
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> scale(0.01f, 0.05f);
  std::vector<uint8_t> codes(static_cast<size_t>(n / 2));
  for (auto& c : codes) c = static_cast<uint8_t>(byte(rng));
  bnb4::Packed4bit w;
  w.packed = upload(codes);
  w.n = n;
  w.blocksize = 64;
  if (nested) {
    std::vector<uint8_t> scale_codes(static_cast<size_t>(blocks));
    for (auto& c : scale_codes) c = static_cast<uint8_t>(byte(rng));
    std::vector<float> absmax2(
        static_cast<size_t>((blocks + bnb4::kNestedBlocksize - 1) / bnb4::kNestedBlocksize));
    for (auto& a : absmax2) a = scale(rng);
    w.nested_codes = upload(scale_codes);
    w.absmax2 = upload(absmax2);
    w.offset = 0.03f;
  } else {
    std::vector<float> absmax(static_cast<size_t>(blocks));
    for (auto& a : absmax) a = scale(rng);
    w.absmax = upload(absmax);
  }
  return w;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Values grouped by a key (an SM, a CTA index): their standard deviation, the share of their variance that
// the groups' means explain, and those means, largest first.
struct Grouped {
  double sd = 0, share = 0;
  std::vector<std::pair<double, uint32_t>> means;
};

Grouped grouped(const std::map<uint32_t, std::vector<double>>& groups) {
  double n = 0, sum = 0, squares = 0;
  for (const auto& [key, v] : groups)
    for (double d : v) n += 1, sum += d, squares += d * d;
  Grouped g;
  if (n == 0) return g;
  const double mean = sum / n, var = squares / n - mean * mean;
  double between = 0;
  for (const auto& [key, v] : groups) {
    double m = 0;
    for (double d : v) m += d / v.size();
    between += v.size() * (m - mean) * (m - mean) / n;
    g.means.push_back({m, key});
  }
  std::sort(g.means.rbegin(), g.means.rend());
  g.sd = std::sqrt(std::max(var, 0.0));
  g.share = var > 0 ? between / var : 0.0;
  return g;
}

}  // namespace

int main(int argc, char** argv) {
  const bool nested = argc > 1 && std::strcmp(argv[1], "--nested") == 0;
  constexpr int64_t kH = 2048, kI = 8192, kKv = 512;
  constexpr int kLayers = 16;
  constexpr float kEps = 1e-5f;
  std::mt19937 rng(1);
  struct Layer {
    bnb4::WeightGroup qkv, o, gate_up, down;
  };
  std::vector<Layer> layers(kLayers);
  auto group = [&](std::initializer_list<int64_t> rows, int64_t K) {
    bnb4::WeightGroup g;
    for (int64_t r : rows) {
      g.w[g.count] = random_weight(r, K, nested, rng);
      g.rows[g.count++] = r;
    }
    return g;
  };
  for (Layer& l : layers) {
    l.qkv = group({kH, kKv, kKv}, kH);
    l.o = group({kH}, kH);
    l.gate_up = group({kI, kI}, kH);
    l.down = group({kH}, kI);
  }
  std::vector<uint16_t> ones(kI, 0x3c00);  // 1.0 in float16: h, x and the norm's weight
  void* h = upload(ones);
  void* gamma = upload(ones);
  void* y = nullptr;
  CK(cudaMalloc(&y, 2 * kI * 2));
  const auto f16 = bnb4::ElemType::kF16;

  cudaStream_t s;
  CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  CK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  for (const Layer& l : layers) {
    CK(bnb4::matvec_4bit_tensor_cores(h, f16, kH, l.qkv, nullptr, gamma, kEps, y, s));
    CK(bnb4::matvec_4bit_tensor_cores(h, f16, kH, l.o, h, nullptr, kEps, y, s));
    CK(bnb4::matvec_4bit_normed_swiglu_cuda(h, f16, kH, l.gate_up, gamma, kEps, y, s));
    CK(bnb4::matvec_4bit_tensor_cores(h, f16, kI, l.down, h, nullptr, kEps, y, s));
  }
  CK(cudaStreamEndCapture(s, &graph));
  CK(cudaGraphInstantiate(&exec, graph, 0));
  for (int i = 0; i < 5; ++i) CK(cudaGraphLaunch(exec, s));
  CK(cudaStreamSynchronize(s));

  // One stamped replay: the table and the tickets from zero.
  const uint32_t zero = 0;
  std::vector<uint32_t> zeros(bnb4::phase_stamps::kTags, 0);
  CK(cudaMemcpyToSymbol(bnb4::phase_stamps::rows_taken, &zero, sizeof zero));
  CK(cudaMemcpyToSymbol(bnb4::phase_stamps::tickets, zeros.data(), zeros.size() * sizeof(uint32_t)));
  cudaEvent_t a, b;
  CK(cudaEventCreate(&a));
  CK(cudaEventCreate(&b));
  CK(cudaEventRecord(a, s));
  CK(cudaGraphLaunch(exec, s));
  CK(cudaEventRecord(b, s));
  CK(cudaStreamSynchronize(s));
  float ms = 0;
  CK(cudaEventElapsedTime(&ms, a, b));
  uint32_t taken = 0;
  CK(cudaMemcpyFromSymbol(&taken, bnb4::phase_stamps::rows_taken, sizeof taken));
  taken = std::min<uint32_t>(taken, bnb4::phase_stamps::kRows);
  std::vector<bnb4::phase_stamps::Row> rows(taken);
  CK(cudaMemcpyFromSymbol(rows.data(), bnb4::phase_stamps::rows, taken * sizeof(bnb4::phase_stamps::Row)));

  // Launches in time order: tag (variant) and ordinal identify one; the four products of a layer follow each
  // other, so launch i of the replay is product i % 4 of layer i / 4.
  struct Launch {
    uint64_t first_start = ~0ull, last_end = 0;
    std::vector<const bnb4::phase_stamps::Row*> ctas;
  };
  std::map<std::pair<uint32_t, uint32_t>, Launch> by_id;
  for (const auto& r : rows) {
    Launch& l = by_id[{r.tag, r.launch}];
    l.first_start = std::min<uint64_t>(l.first_start, r.t[0]);
    l.last_end = std::max<uint64_t>(l.last_end, r.t[7]);
    l.ctas.push_back(&r);
  }
  std::vector<Launch*> order;
  for (auto& [id, l] : by_id) order.push_back(&l);
  std::sort(order.begin(), order.end(),
            [](const Launch* x, const Launch* y) { return x->first_start < y->first_start; });
  const char* names[4] = {"q/k/v (normed)", "o (+ residual)", "gate/up (normed, gated)", "down (+ residual)"};
  std::printf("%s, %d layers, one replay: %.1f us (%.2f us a layer); %zu CTA rows, %zu launches\n",
              nested ? "NF4 + double quant" : "NF4", kLayers, ms * 1e3, ms * 1e3 / kLayers, rows.size(),
              order.size());
  std::printf("%-24s %6s %8s %9s  %s\n", "product", "CTAs", "span", "overlap",
              "median phase durations (us): 0-1 1-2 2-3 3-4 4-5 5-6 6-7");
  for (int p = 0; p < 4; ++p) {
    std::vector<double> span, overlap, phase[7];
    size_t ctas = 0;
    for (size_t i = p; i < order.size(); i += 4) {
      const Launch& l = *order[i];
      ctas = l.ctas.size();
      span.push_back((l.last_end - l.first_start) * 1e-3);
      if (i > 0) overlap.push_back((static_cast<double>(order[i - 1]->last_end) - l.first_start) * 1e-3);
      for (const auto* r : l.ctas)
        for (int k = 0; k < 7; ++k) phase[k].push_back((static_cast<double>(r->t[k + 1]) - r->t[k]) * 1e-3);
    }
    std::printf("%-24s %6zu %8.2f %9.2f ", names[p], ctas, median(span), median(overlap));
    for (auto& v : phase) std::printf(" %5.2f", median(v));
    std::printf("\n");
  }
  // When CTAs start and end, from the end of the launch before (negative: before it ended), pooled over the
  // 16 layers: whether a product's span comes from late starts (SMs still held) or from slow CTAs.
  std::printf("\n%-24s %s\n", "product",
              "CTA start / end after the previous launch's end (us): p10 p50 p90 max");
  for (int p = 0; p < 4; ++p) {
    std::vector<double> start, end;
    for (size_t i = p; i < order.size(); i += 4) {
      if (i == 0) continue;
      const double prev_end = static_cast<double>(order[i - 1]->last_end);
      for (const auto* r : order[i]->ctas) {
        start.push_back((static_cast<double>(r->t[0]) - prev_end) * 1e-3);
        end.push_back((static_cast<double>(r->t[7]) - prev_end) * 1e-3);
      }
    }
    auto pct = [](std::vector<double> v, double q) {
      std::sort(v.begin(), v.end());
      return v.empty() ? 0.0 : v[static_cast<size_t>(q * (v.size() - 1))];
    };
    std::printf("%-24s start %6.2f %6.2f %6.2f %6.2f   end %6.2f %6.2f %6.2f %6.2f\n", names[p],
                pct(start, 0.1), pct(start, 0.5), pct(start, 0.9), pct(start, 1.0), pct(end, 0.1),
                pct(end, 0.5), pct(end, 0.9), pct(end, 1.0));
  }
  // Whether the late CTAs are late by where they run: each CTA's end (and its duration, start to end) less
  // its launch's median, grouped by SM and by CTA index over the 16 layers. The share of the spread that the
  // group means explain is ~1/16 (~0.06) where lateness is chance, near 1 where the same SMs (or the same
  // CTAs' rows) are late each time.
  std::printf(
      "\n%-24s %s\n", "product",
      "CTA end | duration less its launch's median (us): sd, share explained by SM, by CTA; latest SMs");
  for (int p = 0; p < 4; ++p) {
    std::printf("%-24s", names[p]);
    for (int metric = 0; metric < 2; ++metric) {
      auto value = [&](const bnb4::phase_stamps::Row* r) {
        return static_cast<double>(r->t[7]) - (metric == 0 ? 0.0 : static_cast<double>(r->t[0]));
      };
      std::map<uint32_t, std::vector<double>> by_sm, by_cta;
      for (size_t i = p; i < order.size(); i += 4) {
        std::vector<double> values;
        for (const auto* r : order[i]->ctas) values.push_back(value(r));
        const double mid = median(values);
        for (const auto* r : order[i]->ctas) {
          by_sm[r->sm].push_back((value(r) - mid) * 1e-3);
          by_cta[r->cta].push_back((value(r) - mid) * 1e-3);
        }
      }
      const Grouped sm = grouped(by_sm), cta = grouped(by_cta);
      std::printf(" %s sd %4.2f SM %4.2f CTA %4.2f |", metric == 0 ? "end" : "duration", sm.sd, sm.share,
                  cta.share);
      if (metric == 1)
        for (size_t k = 0; k < 4 && k < sm.means.size(); ++k)
          std::printf(" %u (%+.2f)", sm.means[k].second, sm.means[k].first);
    }
    std::printf("\n");
  }
  return 0;
}
