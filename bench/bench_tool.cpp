// idemload's half of two rows of bench/run.sh, each printed as one JSON line with the process's
// peak memory (DuckDB's half is bench/duckdb_peer.js):
//
//   bench_tool scan FILE...   read every column of every row through idemload's readers
//   bench_tool ops ROWS       generate ROWS EDGAR rows in memory (seed 42, as `idemload gen`),
//                             take the keys of a seeded 20% sample of the distinct rows (sample
//                             seed 7, as `gen --sample-seed 7`), then time de-duplication on
//                             (ip, date, time) + the anti-join against those keys
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "formats/source.h"
#include "ops/anti_join.h"
#include "ops/dedupe.h"
#include "ops/gen_edgar.h"
#include "ops/key_set.h"
#include "ops/sample.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

long max_rss_kb() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

int scan(const std::vector<std::string>& paths) {
  const auto start = Clock::now();
  idemload::formats::MultiFileReader reader(paths, idemload::formats::SourceOptions{});
  idemload::Batch batch;
  int64_t rows = 0;
  while (reader.next(batch)) rows += static_cast<int64_t>(batch.num_rows());
  const double seconds = seconds_since(start);
  std::printf("{\"mode\": \"scan\", \"rows\": %lld, \"rejected\": %lld, \"seconds\": %.6f, \"max_rss_kb\": %ld}\n",
              static_cast<long long>(rows), static_cast<long long>(reader.rows_rejected()), seconds, max_rss_kb());
  return 0;
}

int ops(int64_t rows) {
  using namespace idemload::ops;
  EdgarGenerator::Options options;
  options.rows = rows;
  options.seed = 42;
  EdgarGenerator generator(options);
  std::vector<idemload::Batch> staging;
  idemload::Batch batch;
  while (generator.next(batch)) staging.push_back(batch);
  KeySet present;
  {
    Deduper deduper(EdgarGenerator::key_columns());
    BernoulliSample sample(0.2, 7);
    idemload::Batch distinct, sampled;
    for (const auto& in : staging) {
      deduper.apply(in, distinct);
      sample.apply(distinct, sampled);
      present.insert_keys(sampled, EdgarGenerator::key_columns());
    }
  }
  const auto start = Clock::now();
  Deduper deduper(EdgarGenerator::key_columns());
  AntiJoin join(present, EdgarGenerator::key_columns());
  idemload::Batch distinct, missing;
  for (const auto& in : staging) {
    deduper.apply(in, distinct);
    join.apply(distinct, missing);
  }
  const double seconds = seconds_since(start);
  std::printf("{\"mode\": \"ops\", \"rows\": %lld, \"present_keys\": %zu, \"rows_out\": %lld, \"seconds\": %.6f, "
              "\"max_rss_kb\": %ld}\n",
              static_cast<long long>(rows), present.size(), static_cast<long long>(join.rows_out()), seconds,
              max_rss_kb());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "scan" && argc > 2) return scan(std::vector<std::string>(argv + 2, argv + argc));
    if (mode == "ops" && argc == 3) return ops(std::strtoll(argv[2], nullptr, 10));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_tool: %s\n", error.what());
    return 1;
  }
  std::fprintf(stderr, "usage: bench_tool scan FILE... | bench_tool ops ROWS\n");
  return 2;
}
