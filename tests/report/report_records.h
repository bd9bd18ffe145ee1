// Records with known figures for the report tests: a baseline, two quantized experiments and a failure.
#pragma once

#include "runner/result_record.h"

namespace lq::fake {

inline json bench(double prefill_128, double prefill_512, double tok_s_1, double tok_s_8) {
  auto stats = [](double median) {
    return json{{"median", median}, {"p10", median}, {"p90", median}, {"samples", {median}}};
  };
  return {{"prefill",
           {{{"prompt_length", 128}, {"batch_size", 1}, {"latency_ms", stats(prefill_128)}},
            {{"prompt_length", 512}, {"batch_size", 1}, {"latency_ms", stats(prefill_512)}}}},
          {"decode",
           {{{"batch_size", 1}, {"tokens_per_s", stats(tok_s_1)}, {"ms_per_token", stats(1000 / tok_s_1)}},
            {{"batch_size", 8}, {"tokens_per_s", stats(tok_s_8)}, {"ms_per_token", stats(1000 / tok_s_8)}}}}};
}

inline ResultRecord record(const std::string& name, int64_t order, int64_t bytes, double f1, double em,
                           json benchmark, int64_t peak_bytes) {
  ResultRecord r;
  r.name = name;
  r.order = order;
  r.device = "cuda:0";
  r.size_bytes = bytes;
  r.tasks = {{"coqa", {{"metrics", {{"f1", f1}, {"f1_stderr", 0.0123}, {"em", em}, {"em_stderr", 0.0234}}}}}};
  r.benchmark = std::move(benchmark);
  r.memory = {{"peak", {{"peak_bytes", peak_bytes}, {"source", "cuda_caching_allocator"}}}};
  r.config = {{"name", name}};
  r.config_hash = "hash-" + name;
  return r;
}

inline std::vector<ResultRecord> comparison_records() {
  constexpr int64_t MiB = 1024 * 1024;
  std::vector<ResultRecord> records;
  records.push_back(record("nf4", 1, 80 * MiB, 0.5931, 0.4612, bench(9.0, 20.0, 40.0, 250.0), 300 * MiB));
  records.push_back(
      record("fp16_baseline", 0, 256 * MiB, 0.6012, 0.4755, bench(6.0, 16.0, 50.0, 380.0), 400 * MiB));
  records.push_back(record("fp4", 2, 80 * MiB, 0.5478, 0.4101, bench(9.5, 21.0, 41.0, 240.0), 300 * MiB));
  ResultRecord failed;
  failed.name = "nf4_bs32, oom";
  failed.order = 3;
  failed.status = "error";
  failed.error = StageError{"benchmark", "CUDA out of memory\ntried to allocate 2 GiB", "", false, ""};
  records.push_back(failed);
  return records;
}

}  // namespace lq::fake
