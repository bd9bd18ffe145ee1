// The summary (baseline choice, changes), the console table against a golden file, CSV, Markdown, the
// combined JSON, Google Benchmark ingestion and rebuilding a report folder from its records.
#include <gtest/gtest.h>

#include <fstream>

#include "report/csv.h"
#include "report/microbenchmarks.h"
#include "report/report_writer.h"
#include "report/summary_table.h"
#include "report_records.h"
#include "runner/atomic_file.h"
#include "runner/output_layout.h"
#include "../support/scratch_root.h"

namespace fs = std::filesystem;
using namespace lq;

namespace {

fs::path scratch() {
  static const lq::test::ScratchRoot root("lq_report_test_");
  return root.for_current_test();
}

const fs::path kGolden = fs::path(LQ_TEST_DIR) / "report" / "golden";

std::vector<ResultRecord> ordered() {
  auto records = fake::comparison_records();
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
  return records;
}

}  // namespace

TEST(Summary, ComparesAgainstTheBaselineByName) {
  Summary s = summarize_records(ordered());
  EXPECT_EQ(s.baseline, "fp16_baseline");
  const SummaryRow& nf4 = s.rows[1];
  EXPECT_TRUE(s.rows[0].baseline);
  EXPECT_FALSE(s.rows[0].size_change_pct);  // no change against itself
  EXPECT_DOUBLE_EQ(*nf4.size_mb, 80);
  EXPECT_DOUBLE_EQ(*nf4.size_change_pct, -68.75);
  EXPECT_NEAR(*nf4.f1, 59.31, 1e-9);
  EXPECT_NEAR(*nf4.f1_change, 59.31 - 60.12, 1e-9);
  EXPECT_DOUBLE_EQ(*nf4.prefill_ms, 20.0);  // at prompt length 512
  EXPECT_EQ(nf4.prefill_prompt_length, 512);
  EXPECT_DOUBLE_EQ(*nf4.prefill_change_pct, 25.0);
  EXPECT_DOUBLE_EQ(*nf4.decode_tok_s, 40.0);  // batch 1
  EXPECT_DOUBLE_EQ(*nf4.decode_change_pct, -20.0);
  EXPECT_DOUBLE_EQ(*nf4.memory_change_pct, -25.0);
  EXPECT_EQ(s.rows[3].status, "error");
  EXPECT_FALSE(s.rows[3].size_change_pct);
}

TEST(Summary, MarkedBaselineWinsAndAFailedFirstIsSkipped) {
  auto records = ordered();
  records[2].baseline = true;
  EXPECT_EQ(summarize_records(records).baseline, "fp4");
  records = ordered();
  records[0].status = "error";
  records[0].error = StageError{"load", "x", "", false, ""};
  records[0].name = "broken";
  EXPECT_EQ(summarize_records(records).baseline, "nf4");
  EXPECT_EQ(summarize_records({}).baseline, "");
}

TEST(SummaryTable, MatchesTheGoldenText) {
  std::string table = render_text_table(summarize_records(ordered()));
  std::string golden = read_file(kGolden / "summary_table.txt");
  EXPECT_EQ(table, golden) << "got:\n" << table;
  EXPECT_EQ(render_markdown_table(summarize_records(ordered())), read_file(kGolden / "summary_table.md"));
}

TEST(Csv, QuotesWhatNeedsQuoting) {
  EXPECT_EQ(CsvWriter::quote("plain"), "plain");
  EXPECT_EQ(CsvWriter::quote("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvWriter::quote("say \"hi\"\nnow"), "\"say \"\"hi\"\"\nnow\"");
  auto records = ordered();
  std::string csv = render_csv(summarize_records(records), records);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 6);  // header, 4 rows, one message with a line break
  EXPECT_NE(csv.find("\"nf4_bs32, oom\",error,false,benchmark,\"CUDA out of memory\ntried"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("nf4,success,false,,,80,-68.75,coqa,59.31,"), std::string::npos) << csv;
}

TEST(Microbenchmarks, ParsesGoogleBenchmarkJson) {
  json j = json::parse(read_file(fs::path(LQ_TEST_DIR) / "report" / "data" / "gbench.json"));
  auto rows = parse_google_benchmark(j, "dir/gbench.json");
  ASSERT_EQ(rows.size(), 2u);  // the errored run is left out
  EXPECT_EQ(rows[0].file, "gbench.json");
  EXPECT_EQ(rows[0].name, "BM_Nf4Dequant/4096");
  EXPECT_EQ(rows[0].time_unit, "us");
  EXPECT_DOUBLE_EQ(rows[0].real_time, 12.5);
  EXPECT_DOUBLE_EQ(rows[0].counters["bytes_per_second"].get<double>(), 1.5e9);
  EXPECT_EQ(rows[1].aggregate, "median");
  EXPECT_NE(render_microbenchmarks_markdown(rows).find("| gbench.json | BM_Nf4Dequant/4096 | 12.5 us |"),
            std::string::npos);
  EXPECT_THROW(parse_google_benchmark(json{{"benchmarks", 1}}, "x.json"), Error);
  j["benchmarks"][0].erase("real_time");
  try {
    parse_google_benchmark(j, "x.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("x.json: benchmarks[0]"), std::string::npos) << e.what();
  }
}

TEST(ReportWriter, RebuildsEverythingFromTheRecordsFolder) {
  fs::path dir = scratch();
  for (const auto& r : fake::comparison_records())
    write_file_atomically(layout::record(dir, r.name), r.to_json().dump(2));
  write_file_atomically(dir / "microbenchmarks" / "gbench.json",
                        read_file(fs::path(LQ_TEST_DIR) / "report" / "data" / "gbench.json"));
  auto records = load_records(dir);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].name, "fp16_baseline");  // by run order
  ReportOutput out = write_report(dir, records);
  EXPECT_EQ(out.table, read_file(kGolden / "summary_table.txt"));
  for (const char* f :
       {"summary.txt", "summary.csv", "summary.json", "summary.md", "microbenchmarks.csv",
        "plots/accuracy_vs_size.svg", "plots/decode_throughput.svg", "plots/prefill_latency.svg"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  json combined = json::parse(read_file(dir / "summary.json"));
  EXPECT_EQ(combined["records"].size(), 4u);
  EXPECT_EQ(combined["baseline"], "fp16_baseline");
  EXPECT_EQ(combined["summary"][1]["experiment"], "nf4");
  std::string md = read_file(dir / "summary.md");
  EXPECT_NE(md.find("## Microbenchmarks"), std::string::npos);
  EXPECT_NE(md.find("![accuracy_vs_size](plots/accuracy_vs_size.svg)"), std::string::npos);

  // Rebuilding gives the same files.
  std::string csv = read_file(dir / "summary.csv");
  write_report(dir, load_records(dir));
  EXPECT_EQ(read_file(dir / "summary.csv"), csv);
}

TEST(ReportWriter, BadFoldersAndRecordsAreErrorsNamingTheFile) {
  fs::path dir = scratch();
  EXPECT_THROW(load_records(dir), Error);  // no records/
  write_file_atomically(layout::record(dir, "bad"), "{\"schema_version\": 1, \"name\": ");
  try {
    load_records(dir);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos) << e.what();
  }
}
