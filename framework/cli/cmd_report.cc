// llama-quant report: rebuild the tables and plots of a results folder from its records.
#include <iostream>

#include "command.h"
#include "report/microbenchmarks.h"
#include "report/report_writer.h"
#include "runner/atomic_file.h"

namespace lq::cli {
namespace {

int run_report(Args& args) {
  auto micro = args.options("microbenchmarks");
  auto dirs = args.finish();
  if (dirs.size() != 1) throw UsageError("give one results folder");
  std::filesystem::path dir = dirs[0];
  for (const auto& file : micro) {
    std::string text = read_file(file);
    json j;
    try {
      j = json::parse(text);
    } catch (const json::exception& e) {
      throw Error(file + ": not valid JSON: " + e.what());
    }
    parse_google_benchmark(j, file);  // checks it before it is kept
    write_file_atomically(dir / "microbenchmarks" / std::filesystem::path(file).filename(), text);
  }
  ReportOutput report = write_report(dir, load_records(dir));
  std::cout << report.table << "\nwrote:";
  for (const auto& f : report.files) std::cout << " " << f.string();
  std::cout << "\n";
  return kExitOk;
}

const RegisterVerb registered{
    {"report", "rebuild the summary table, CSV, Markdown, JSON and plots of a results folder",
     "usage: llama-quant report RESULTS_DIR [--microbenchmarks FILE]...\n\n"
     "Reads RESULTS_DIR/records/*.json and writes summary.txt (printed), summary.md, summary.csv,\n"
     "summary.json and plots/*.svg (and .png when rsvg-convert is on PATH).\n"
     "--microbenchmarks FILE adds Google Benchmark JSON (--benchmark_format=json output) to the report;\n"
     "it is kept in RESULTS_DIR/microbenchmarks/ so later reports include it too.\n",
     run_report}};

}  // namespace
}  // namespace lq::cli
