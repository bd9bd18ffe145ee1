// Sweeps: one file that stands for several experiments. Its experiment keys (and `base`) are the
// starting point; its `sweep:` section says how the experiments differ:
//
//   sweep:
//     name_template: "{name}-{quant_type}-bs{blocksize}"   # optional; placeholders: {name}, an axis's
//     axes:                                                #   last segment or full key, any dotted key
//       quantization.params.quant_type: [nf4, fp4]         # cartesian product, first axis slowest
//       quantization.params.blocksize: [64, 128]
//
// or, instead of axes, explicit variants:
//
//     variants:
//       - file: ../fp16_baseline.yaml                      # that experiment file (relative to the sweep)
//       - name: nf4-bs128                                  # the sweep's experiment with these overrides
//         set: {quantization.params.blocksize: 128}
//
// Every variant is: its start (the `file`, else the sweep's base chain), then the keys written in the
// sweep file itself, then the variant's `set` or axis values.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/composition.h"

namespace lq {

struct PlannedExperiment {
  Document doc;
  std::filesystem::path source_file;  // the file the experiment's own keys came from
  // Set when the name is made from the axis values, once overrides were applied (see name_experiment).
  std::vector<std::string> axes;
  std::optional<std::string> name_template;
  SourceLocation template_at;
};

// The experiments a sweep file stands for; `sweep` is its `sweep:` section.
std::vector<PlannedExperiment> expand_sweep(const ComposedFile& file, const Document& sweep,
                                            const std::filesystem::path& path, Diagnostics& diag);

// Sets the name of an experiment planned from axes: its template filled in, or by default
// "{name}-<axis>_<value>-..." from the values the experiment ends up with.
void name_experiment(PlannedExperiment& planned, Diagnostics& diag);

}  // namespace lq
