// Where a run's files go inside its output folder:
//   records/<experiment>.json                 one ResultRecord per experiment (written atomically)
//   samples/<experiment>.<task>.samples.jsonl per-sample task outputs
//   logs/<experiment>.log                     everything the experiment's child process printed
//   summary.{json,csv,md,txt}, plots/*.svg    the report (rebuilt by `llama-quant report`)
//   .work/                                    hand-over files between the sweep and its children
#pragma once

#include <filesystem>
#include <string>

namespace lq::layout {

inline std::filesystem::path record(const std::filesystem::path& dir, const std::string& experiment) {
  return dir / "records" / (experiment + ".json");
}
inline std::filesystem::path records_dir(const std::filesystem::path& dir) { return dir / "records"; }
inline std::string samples_relative(const std::string& experiment, const std::string& task) {
  return "samples/" + experiment + "." + task + ".samples.jsonl";
}
inline std::filesystem::path log(const std::filesystem::path& dir, const std::string& experiment) {
  return dir / "logs" / (experiment + ".log");
}
inline std::filesystem::path work_dir(const std::filesystem::path& dir) { return dir / ".work"; }

}  // namespace lq::layout
