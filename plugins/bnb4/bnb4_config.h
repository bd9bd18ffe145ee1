// The bnb4 backend's parameters (experiment YAML `quantization.params`), read and validated with the
// SDK's Params getters. Plain C++: no libtorch.
//
//   quant_type    nf4 | fp4                               (default nf4)
//   blocksize     32, 64, 128, 256, 512, 1024, 2048, 4096 (default 64)
//   double_quant  bool: quantize the absmax values again   (default false)
//   compute_dtype auto | float16 | bfloat16 | float32      (default auto = the experiment's dtype; any
//                 other value must equal it)
//   skip_modules  list of layer-name patterns left dense   (default [lm_head], as transformers does).
//                 A pattern with *, ? or [..] is a glob matched against the whole name ('*' also
//                 crosses dots: "model.layers.0.*" or "*.down_proj"); any other pattern matches as a
//                 substring ("lm_head", "layers.3.", "mlp").
#pragma once

#include <llama_quant/params.h>

#include <string>
#include <vector>

#include "numerics/codebook.h"

namespace bnb4 {

struct Config {
  QuantType quant_type = QuantType::kNF4;
  int blocksize = 64;
  bool double_quant = false;
  std::string compute_dtype = "auto";
  std::vector<std::string> skip_modules = {"lm_head"};

  static Config parse(const lq::Params& params, lq::Diagnostics& diag);
  bool skips(const std::string& layer_name) const;
  lq::json to_json() const;
};

// fnmatch-style glob: '*' any run of characters, '?' one character, '[abc]' / '[a-z]' / '[!a]' a set.
bool glob_match(const std::string& pattern, const std::string& text);

}  // namespace bnb4
