// Throughput of the lesson's operations over EDGAR-shaped data: de-duplication on
// (ip, date, time), the anti-join against the keys already in the target (a 20% sample, as in
// the lesson), and both in a row. Rows/s is reported as items_per_second.
//
//   ops_bench --benchmark_filter=DedupeAntiJoin/10000000   (10 M rows against ~2 M keys)
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <vector>

#include "ops/anti_join.h"
#include "ops/dedupe.h"
#include "ops/gen_edgar.h"
#include "ops/key_set.h"
#include "ops/sample.h"

namespace idemload::ops {
namespace {

struct Data {
  std::vector<Batch> staging;  // EDGAR rows, 3% repeated keys
  KeySet present;              // keys of a 20% sample of the distinct rows: the "target"
};

// Generated once per size and kept for every benchmark of that size.
const Data& data_for(int64_t rows) {
  static std::map<int64_t, std::unique_ptr<Data>> cache;
  auto& slot = cache[rows];
  if (!slot) {
    slot = std::make_unique<Data>();
    EdgarGenerator::Options options;
    options.rows = rows;
    EdgarGenerator generator(options);
    Batch batch;
    while (generator.next(batch)) slot->staging.push_back(batch);
    Deduper deduper(EdgarGenerator::key_columns());
    BernoulliSample sample(0.2, 7);
    Batch distinct, sampled;
    for (const Batch& in : slot->staging) {
      deduper.apply(in, distinct);
      sample.apply(distinct, sampled);
      slot->present.insert_keys(sampled, EdgarGenerator::key_columns());
    }
  }
  return *slot;
}

void BM_Dedupe(benchmark::State& state) {
  const Data& data = data_for(state.range(0));
  int64_t kept = 0;
  for (auto _ : state) {
    Deduper deduper(EdgarGenerator::key_columns());
    Batch out;
    for (const Batch& in : data.staging) deduper.apply(in, out);
    kept = deduper.distinct_keys();
    benchmark::DoNotOptimize(kept);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["distinct"] = static_cast<double>(kept);
}

void BM_AntiJoin(benchmark::State& state) {
  const Data& data = data_for(state.range(0));
  int64_t passed = 0;
  for (auto _ : state) {
    AntiJoin join(data.present, EdgarGenerator::key_columns());
    Batch out;
    for (const Batch& in : data.staging) join.apply(in, out);
    passed = join.rows_out();
    benchmark::DoNotOptimize(passed);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["present_keys"] = static_cast<double>(data.present.size());
  state.counters["missing"] = static_cast<double>(passed);
}

// The lesson's recovery step on the source side: de-duplicate, then keep the rows whose key is
// not in the target yet.
void BM_DedupeAntiJoin(benchmark::State& state) {
  const Data& data = data_for(state.range(0));
  int64_t passed = 0;
  for (auto _ : state) {
    Deduper deduper(EdgarGenerator::key_columns());
    AntiJoin join(data.present, EdgarGenerator::key_columns());
    Batch distinct, missing;
    for (const Batch& in : data.staging) {
      deduper.apply(in, distinct);
      join.apply(distinct, missing);
    }
    passed = join.rows_out();
    benchmark::DoNotOptimize(passed);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["present_keys"] = static_cast<double>(data.present.size());
  state.counters["missing"] = static_cast<double>(passed);
}

// The same with the fused operator (one key encoding per batch, no intermediate batch).
void BM_DedupeAntiJoinFused(benchmark::State& state) {
  const Data& data = data_for(state.range(0));
  int64_t passed = 0;
  for (auto _ : state) {
    DedupeAntiJoin fused(data.present, EdgarGenerator::key_columns());
    if (state.range(1) != 0) fused.reserve(static_cast<size_t>(state.range(0)));
    Batch missing;
    for (const Batch& in : data.staging) fused.apply(in, missing);
    passed = fused.rows_out();
    benchmark::DoNotOptimize(passed);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["present_keys"] = static_cast<double>(data.present.size());
  state.counters["missing"] = static_cast<double>(passed);
}

// Building the target's key set from scanned key batches.
void BM_KeySetBuild(benchmark::State& state) {
  const Data& data = data_for(state.range(0));
  size_t keys = 0;
  for (auto _ : state) {
    KeySet set;
    for (const Batch& in : data.staging) set.insert_keys(in, EdgarGenerator::key_columns());
    keys = set.size();
    benchmark::DoNotOptimize(keys);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["keys"] = static_cast<double>(keys);
}

void BM_Generate(benchmark::State& state) {
  for (auto _ : state) {
    EdgarGenerator::Options options;
    options.rows = state.range(0);
    EdgarGenerator generator(options);
    Batch batch;
    while (generator.next(batch)) benchmark::DoNotOptimize(batch.num_rows());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(BM_Dedupe)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AntiJoin)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DedupeAntiJoin)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond);
// Second argument: 1 = reserve the key set for every row up front (the row count is known).
BENCHMARK(BM_DedupeAntiJoinFused)
    ->Args({1'000'000, 0})
    ->Args({1'000'000, 1})
    ->Args({10'000'000, 0})
    ->Args({10'000'000, 1})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KeySetBuild)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Generate)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace idemload::ops

BENCHMARK_MAIN();
