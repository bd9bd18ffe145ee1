// The result record, atomic writes, the experiment hand-over JSON and progress text.
#include <gtest/gtest.h>

#include <fstream>

#include "runner/atomic_file.h"
#include "runner/experiment_json.h"
#include "runner/progress.h"
#include "runner/result_record.h"
#include "runner_test_support.h"

namespace fs = std::filesystem;
using namespace lq;

namespace {

ResultRecord sample_record() {
  ResultRecord r;
  r.name = "nf4";
  r.status = "error";
  r.error = StageError{"quantize", "boom", "SIGABRT", false, "last words\n"};
  r.size_bytes = 3 * 1024 * 1024;
  r.tasks = {{"coqa", {{"metrics", {{"f1", 0.5}, {"em", 0.25}}}}}};
  r.config = {{"name", "nf4"}};
  r.config_hash = "abc";
  r.gpu = 1;
  return r;
}

}  // namespace

TEST(ResultRecord, RoundTripsThroughJson) {
  ResultRecord r = sample_record();
  ResultRecord back = ResultRecord::from_json(json::parse(r.to_json().dump()), "r.json");
  EXPECT_EQ(back.to_json(), r.to_json());
  EXPECT_EQ(back.error->signal, "SIGABRT");
  EXPECT_DOUBLE_EQ(*back.size_mb(), 3.0);
  EXPECT_DOUBLE_EQ(*back.metric("coqa", "f1"), 0.5);
  EXPECT_FALSE(back.metric("coqa", "missing"));
  EXPECT_EQ(*back.gpu, 1);
}

TEST(ResultRecord, MalformedRecordsNameTheFileAndField) {
  json j = sample_record().to_json();
  j["status"] = "maybe";
  EXPECT_THROW(
      try { ResultRecord::from_json(j, "dir/x.json"); } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("dir/x.json"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("status"), std::string::npos);
        throw;
      },
      Error);
  j = sample_record().to_json();
  j["schema_version"] = 99;
  EXPECT_THROW(ResultRecord::from_json(j, "x.json"), Error);
  j = sample_record().to_json();
  j["tasks"] = "nope";
  EXPECT_THROW(ResultRecord::from_json(j, "x.json"), Error);
  j = sample_record().to_json();
  j.erase("error");
  EXPECT_THROW(ResultRecord::from_json(j, "x.json"), Error);  // an error record must say why
  EXPECT_THROW(ResultRecord::from_json(json::array(), "x.json"), Error);
}

TEST(AtomicFile, WritesReplacesAndLeavesNoTemporaryFiles) {
  fs::path dir = fake::scratch_dir() / "nested";
  write_file_atomically(dir / "a.json", "first");
  write_file_atomically(dir / "a.json", "second");
  EXPECT_EQ(read_file(dir / "a.json"), "second");
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"a.json"});
}

TEST(AtomicFile, RemovesOnlyTemporaryFilesOfDeadWriters) {
  fs::path dir = fake::scratch_dir();
  // pid 2^22+1 is above Linux's pid_max limit, so never alive; our own pid is.
  std::ofstream(dir / ".lq-tmp.4194305.a.json.XXXXXX") << "half";
  std::ofstream(dir / (".lq-tmp." + std::to_string(::getpid()) + ".b.json.XXXXXX")) << "in progress";
  std::ofstream(dir / "c.json") << "{}";
  remove_stale_temp_files(dir);
  EXPECT_FALSE(fs::exists(dir / ".lq-tmp.4194305.a.json.XXXXXX"));
  EXPECT_TRUE(fs::exists(dir / (".lq-tmp." + std::to_string(::getpid()) + ".b.json.XXXXXX")));
  EXPECT_TRUE(fs::exists(dir / "c.json"));
}

TEST(AtomicFile, UnwritableFolderIsAnErrorNamingTheFile) {
  fs::path dir = fake::scratch_dir();
  std::ofstream(dir / "file") << "x";
  try {
    write_file_atomically(dir / "file" / "r.json", "x");  // a file where a folder should be
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("file"), std::string::npos);
  }
  EXPECT_THROW(read_file(dir / "missing.json"), Error);
}

TEST(ExperimentJson, RoundTripsEveryField) {
  fs::path dir = fake::scratch_dir();
  Experiment e = fake::fake_experiment("x", "throw", dir, 0.5);
  e.timeout_s = 12.5;
  e.model.random_seed = 3;
  e.tasks[0].limit = 2;
  e.tasks[0].limit_seed = 9;
  Experiment back = experiment_from_json(json::parse(experiment_to_json(e).dump()), "x.json");
  EXPECT_EQ(experiment_to_json(back), experiment_to_json(e));
  // Plugin parameter problems still point at the experiment's file.
  EXPECT_EQ(back.quantization.params.location("fault").file, e.source_file.string());
}

TEST(ExperimentJson, MissingFieldIsAnErrorNamingIt) {
  json j = experiment_to_json(fake::fake_experiment("x", "none", "out"));
  j.erase("benchmark");
  try {
    experiment_from_json(j, "exp.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("exp.json"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("'benchmark'"), std::string::npos);
  }
}

TEST(Progress, FormatsCountsRateAndEta) {
  EXPECT_EQ(ProgressLine::format(0, 50, 0), "0/50 (0%)");
  EXPECT_EQ(ProgressLine::format(10, 50, 5), "10/50 (20%) 2.00/s ETA 0:20");
  EXPECT_EQ(ProgressLine::format(50, 50, 25), "50/50 (100%) 2.00/s");
  EXPECT_EQ(ProgressLine::format(1, 10000, 1), "1/10000 (0%) 1.00/s ETA 2:46:39");
  EXPECT_EQ(ProgressLine::format(1, 4, 5e-7), "1/4 (25%)");  // no rate from under a second
}

TEST(Progress, PlainStyleThrottlesLines) {
  std::ostringstream out;
  {
    ProgressLine line(out, ProgressStyle::kPlain, "coqa", std::chrono::seconds(3600));
    for (int i = 1; i <= 5; ++i) line.update(i, 5);
  }
  // The first update and the last, nothing in between within the interval.
  std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  std::ostringstream tty;
  {
    ProgressLine line(tty, ProgressStyle::kTerminal, "coqa");
    line.update(1, 5);
  }
  EXPECT_NE(tty.str().find("\r"), std::string::npos);
  EXPECT_EQ(tty.str().back(), '\n');  // an unfinished line is ended
}
