// Strategy options and refusals on every database: schema mismatches refused before any write,
// upsert without a key index refused, push-down anti-join equal to the client one, upsert's
// DO UPDATE, overwrite's scopes, counts a failed or killed job never took (-1), and a
// connection dropped mid-load (terminated from a second connection) that fails the job and is
// repaired by the re-run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <future>
#include <thread>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "targets/target.h"
#include "targets/url.h"
#include "test_util.h"

namespace idemload::testing {
namespace {

class StrategyOptions : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    static int counter = 0;
    table_ = fmt::format("opt_{}_{}", ::getpid(), counter++);
    if (GetParam() == "sqlite") url_ = "sqlite:" + dir_.file("t.sqlite");
    if (GetParam() == "postgres") url_ = require_url("IDEMLOAD_TEST_PG_URL");
    if (GetParam() == "mysql") url_ = require_url("IDEMLOAD_TEST_MYSQL_URL");
    std::string staging = "ip,date,time,size,doc\n";
    std::string seed = staging;
    for (int row = 0; row < 300; ++row) {
      std::string line = fmt::format("10.0.{}.a,2017-06-30,00:00:{:02},{}.0,d{}\n", row / 60, row % 60, row, row);
      staging += line;
      if (row % 5 == 0) seed += line;
    }
    write_file(dir_.path() / "staging.csv", staging);
    write_file(dir_.path() / "seed.csv", seed);
  }

  RunResult load(const std::string& file, std::vector<std::string> extra = {}, const std::string& table = "") {
    std::vector<std::string> args = {"load", dir_.file(file), "--target", url_, "--table", table.empty() ? table_ : table,
                                     "--key", "ip,date,time", "--batch", "b1", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_idemload(args);
  }

  nlohmann::json verify(const std::string& file = "staging.csv", const std::string& table = "",
                        std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"verify", dir_.file(file), "--target", url_, "--table",
                                     table.empty() ? table_ : table, "--key", "ip,date,time", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto result = run_idemload(args);
    return nlohmann::json::parse(result.out.empty() ? "{}" : result.out);
  }

  int64_t count(const std::string& table) {
    auto target = targets::open_target(url_);
    return target->count(table, targets::Scope::all());
  }

  TempDir dir_;
  std::string url_;
  std::string table_;
};

TEST_P(StrategyOptions, SchemaMismatchIsRefusedBeforeAnyWrite) {
  ASSERT_EQ(load("seed.csv").exit_code, 0);
  const int64_t before = count(table_);
  write_file(dir_.path() / "wider.csv", "ip,date,time,size,doc,referrer\n10.9.9.z,2017-06-30,01:00:00,1.0,x,y\n");
  auto wider = load("wider.csv");
  EXPECT_EQ(wider.exit_code, 5) << wider.err << wider.out;
  EXPECT_NE(wider.err.find("referrer"), std::string::npos) << wider.err;
  EXPECT_NE(wider.err.find("--evolve add-columns"), std::string::npos) << wider.err;
  EXPECT_EQ(count(table_), before);
  write_file(dir_.path() / "retyped.csv", "ip,date,time,size,doc\n10.9.9.z,2017-06-30,01:00:00,big,x\n");
  auto retyped = load("retyped.csv");
  EXPECT_EQ(retyped.exit_code, 5) << retyped.err;
  EXPECT_NE(retyped.err.find("'size' is string in the source but int64"), std::string::npos) << retyped.err;
  EXPECT_EQ(count(table_), before);
  auto evolved = load("wider.csv", {"--evolve", "add-columns"});
  EXPECT_EQ(evolved.exit_code, 0) << evolved.err << evolved.out;
  EXPECT_EQ(count(table_), before + 1);
}

TEST_P(StrategyOptions, UpsertWithoutAKeyIndexIsRefused) {
  ASSERT_EQ(load("seed.csv").exit_code, 0);  // created without a primary key
  const int64_t before = count(table_);
  auto upsert = load("staging.csv", {"--strategy", "upsert"});
  EXPECT_EQ(upsert.exit_code, 2) << upsert.err;
  EXPECT_NE(upsert.err.find("needs a primary key or unique index on (ip, date, time)"), std::string::npos)
      << upsert.err;
  EXPECT_EQ(count(table_), before);
}

TEST_P(StrategyOptions, PushDownAntiJoinGivesTheSameRowsAsTheClientOne) {
  const std::string client = table_ + "_c";
  ASSERT_EQ(load("seed.csv", {}, client).exit_code, 0);
  ASSERT_EQ(load("seed.csv").exit_code, 0);
  auto pushed = load("staging.csv", {"--antijoin", "push-down"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err << pushed.out;
  auto in_client = load("staging.csv", {}, client);
  ASSERT_EQ(in_client.exit_code, 0) << in_client.err;
  auto a = verify("staging.csv", table_);
  auto b = verify("staging.csv", client);
  EXPECT_TRUE(a["ok"].get<bool>()) << a.dump();
  EXPECT_TRUE(b["ok"].get<bool>()) << b.dump();
  EXPECT_EQ(a["target_digest"], b["target_digest"]);
  auto doc = nlohmann::json::parse(pushed.out);
  EXPECT_EQ(doc["rows_inserted"].get<int64_t>(), 240);  // 300 rows, 60 already there
}

TEST_P(StrategyOptions, TimingsSayWhereTheSecondsWent) {
  ASSERT_EQ(load("seed.csv").exit_code, 0);
  // The source's one batch is followed by a 300 ms pause: it belongs to the load, after the
  // count and the scan of the keys in scope, and before the first commit.
  auto loaded = run_idemload({"load", dir_.file("staging.csv"), "--target", url_, "--table", table_, "--key",
                               "ip,date,time", "--batch", "b1", "--chunk-rows", "100", "--json"},
                              {{"IDEMLOAD_FAILPOINTS", "after_rows_read=sleep:300@1"}});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err << loaded.out;
  auto doc = nlohmann::json::parse(loaded.out);
  const auto& timings = doc["timings"];
  double sum = 0;
  for (const char* part : {"prepare", "count_before", "scan_keys", "load", "count_after", "finish"}) {
    ASSERT_TRUE(timings[part].is_number()) << part << " " << doc.dump();
    EXPECT_GE(timings[part].get<double>(), 0) << part;
    sum += timings[part].get<double>();
  }
  const double seconds = doc["seconds"].get<double>();
  EXPECT_NEAR(sum, seconds, 1e-6) << doc.dump();
  // The anti-join's scan of the keys in scope is the count at the start.
  EXPECT_EQ(timings["count_before"].get<double>(), 0) << doc.dump();
  EXPECT_EQ(doc["rows_before"].get<int64_t>(), 60) << doc.dump();
  EXPECT_GT(timings["scan_keys"].get<double>(), 0) << doc.dump();
  EXPECT_GT(timings["count_after"].get<double>(), 0) << doc.dump();
  EXPECT_GE(timings["load"].get<double>(), 0.3) << doc.dump();
  ASSERT_TRUE(timings["first_commit"].is_number()) << doc.dump();
  const double before_load =
      timings["prepare"].get<double>() + timings["count_before"].get<double>() + timings["scan_keys"].get<double>();
  EXPECT_GE(timings["first_commit"].get<double>(), before_load + 0.3) << doc.dump();
  EXPECT_LE(timings["first_commit"].get<double>(), seconds) << doc.dump();
  EXPECT_EQ(doc["rows_inserted"].get<int64_t>(), 240);

  // A re-run that the ledger answers is all preparation, and commits nothing.
  auto again = load("staging.csv");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto noop = nlohmann::json::parse(again.out);
  EXPECT_TRUE(noop["noop"].get<bool>());
  EXPECT_DOUBLE_EQ(noop["timings"]["prepare"].get<double>(), noop["seconds"].get<double>());
  EXPECT_EQ(noop["timings"]["load"].get<double>(), 0);
  EXPECT_TRUE(noop["timings"]["first_commit"].is_null()) << again.out;
}

// A strategy that reads the keys in scope before it writes takes the count at the start from
// that read. It counts rows, not keys: a scope holding every seed row twice (two appends) has
// 120 rows before, which the job reports (and then fails: no load can make those keys unique).
TEST_P(StrategyOptions, TheKeyScanCountsTheScopeAtTheStart) {
  auto json = [](const RunResult& run) { return nlohmann::json::parse(run.out); };
  ASSERT_EQ(load("seed.csv").exit_code, 0);
  auto antijoin = load("staging.csv");
  ASSERT_EQ(antijoin.exit_code, 0) << antijoin.err << antijoin.out;
  EXPECT_EQ(json(antijoin)["rows_before"].get<int64_t>(), 60) << antijoin.out;
  EXPECT_EQ(json(antijoin)["timings"]["count_before"].get<double>(), 0) << antijoin.out;

  auto transactional = load("staging.csv", {"--strategy", "transactional", "--force"});
  ASSERT_EQ(transactional.exit_code, 0) << transactional.err << transactional.out;
  EXPECT_EQ(json(transactional)["rows_before"].get<int64_t>(), 300) << transactional.out;
  EXPECT_EQ(json(transactional)["timings"]["count_before"].get<double>(), 0) << transactional.out;

  // The push-down anti-join reads no keys: the job counts the scope itself.
  auto pushed = load("staging.csv", {"--antijoin", "push-down", "--force"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err << pushed.out;
  EXPECT_EQ(json(pushed)["rows_before"].get<int64_t>(), 300) << pushed.out;
  EXPECT_GT(json(pushed)["timings"]["count_before"].get<double>(), 0) << pushed.out;
  EXPECT_EQ(count(table_), 300);

  const std::string doubled = table_ + "_d";
  ASSERT_EQ(load("seed.csv", {"--strategy", "append"}, doubled).exit_code, 0);
  ASSERT_EQ(load("seed.csv", {"--strategy", "append", "--force"}, doubled).exit_code, 0);
  auto failed = load("staging.csv", {}, doubled);
  EXPECT_EQ(failed.exit_code, 1) << failed.err << failed.out;
  EXPECT_EQ(json(failed)["rows_before"].get<int64_t>(), 120) << failed.out;
  EXPECT_EQ(json(failed)["rows_after"].get<int64_t>(), 360) << failed.out;
  // Before and after agree with the rows inserted; it is the keys that do not add up.
  EXPECT_NE(json(failed)["error"].get<std::string>().find("the scope holds 360 rows, but the source has 300 distinct"),
            std::string::npos)
      << failed.out;
}

// A count the job never took is -1 (not counted), in the ledger and in its output, not a 0
// that reads like an empty scope: a job killed before it read the keys in scope (its ledger row
// still says running), one that failed there, and one that failed after its writes but before
// the count at the end. `jobs` shows "-" for it.
TEST_P(StrategyOptions, CountsAJobNeverTookAreMinusOneNotZero) {
  ASSERT_EQ(load("seed.csv").exit_code, 0);
  const std::vector<std::string> staging = {"load",  dir_.file("staging.csv"), "--target", url_, "--table", table_,
                                            "--key", "ip,date,time",           "--batch",  "b1", "--json"};
  auto killed = run_idemload(staging, {{"IDEMLOAD_FAILPOINTS", "after_ledger_start=kill"}});
  ASSERT_EQ(killed.term_signal, SIGKILL) << killed.err << killed.out;
  auto listed = run_idemload({"jobs", "--target", url_, "--table", table_, "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  auto jobs = nlohmann::json::parse(listed.out);
  ASSERT_EQ(jobs.size(), 2u) << listed.out;
  EXPECT_EQ(jobs[0]["state"], "running") << listed.out;  // newest first
  EXPECT_EQ(jobs[0]["rows_before"].get<int64_t>(), -1) << listed.out;
  EXPECT_EQ(jobs[0]["rows_after"].get<int64_t>(), -1) << listed.out;
  EXPECT_EQ(jobs[1]["rows_after"].get<int64_t>(), 60) << listed.out;

  auto early = run_idemload(staging, {{"IDEMLOAD_FAILPOINTS", "after_ledger_start=error"}});
  ASSERT_EQ(early.exit_code, 1) << early.err << early.out;
  auto first = nlohmann::json::parse(early.out);
  EXPECT_EQ(first["state"], "failed") << early.out;
  EXPECT_EQ(first["rows_before"].get<int64_t>(), -1) << early.out;
  EXPECT_EQ(first["rows_after"].get<int64_t>(), -1) << early.out;

  auto failed = run_idemload(staging, {{"IDEMLOAD_FAILPOINTS", "before_ledger_finish=error"}});
  ASSERT_EQ(failed.exit_code, 1) << failed.err << failed.out;
  auto late = nlohmann::json::parse(failed.out);
  EXPECT_EQ(late["rows_before"].get<int64_t>(), 60) << failed.out;
  EXPECT_EQ(late["rows_after"].get<int64_t>(), -1) << failed.out;
  EXPECT_EQ(late["rows_inserted"].get<int64_t>(), 240) << failed.out;
  auto shown = run_idemload({"jobs", "show", late["job_id"].get<std::string>(), "--target", url_, "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  auto row = nlohmann::json::parse(shown.out);
  EXPECT_EQ(row["state"], "failed") << shown.out;
  EXPECT_EQ(row["rows_before"].get<int64_t>(), 60) << shown.out;
  EXPECT_EQ(row["rows_after"].get<int64_t>(), -1) << shown.out;
  auto table = run_idemload({"jobs", "--target", url_, "--table", table_});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  const size_t line = table.out.find(late["job_id"].get<std::string>());
  ASSERT_NE(line, std::string::npos) << table.out;
  const std::string text = table.out.substr(line, table.out.find('\n', line) - line);
  EXPECT_NE(text.find(fmt::format("{:>10}  {:>10}  ", 240, "-")), std::string::npos) << text;

  auto recovered = load("staging.csv");
  ASSERT_EQ(recovered.exit_code, 0) << recovered.err << recovered.out;
  EXPECT_EQ(nlohmann::json::parse(recovered.out)["rows_after"].get<int64_t>(), 300) << recovered.out;
}

// A re-run whose source is mostly in scope already decodes the source on a thread of its own
// (write_chunks; here about 3 000 keys in scope against 4 000 source rows). An error of that thread
// still fails the job, names the file, and leaves the table as it was; skipping the corrupt
// file with --ignore-corrupt-files still lists it.
TEST_P(StrategyOptions, ARerunThatReadsAheadStillStopsAtACorruptFile) {
  std::filesystem::create_directories(dir_.path() / "in");
  for (auto [name, rows, seed] : {std::tuple{"a", "3000", "1"}, std::tuple{"b", "1000", "7"}}) {
    auto gen = run_idemload({"gen", "edgar", "--rows", rows, "--seed", seed, "--out",
                             dir_.file(std::string("in/") + name + ".parquet")});
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
  }
  auto first = run_idemload({"load", dir_.file("in/a.parquet"), "--target", url_, "--table", table_, "--key",
                             "ip,date,time", "--batch", "b1", "--json"});
  ASSERT_EQ(first.exit_code, 0) << first.err << first.out;
  const int64_t loaded = count(table_);
  ASSERT_GT(loaded, 2000);

  std::string bytes = read_file(dir_.path() / "in/b.parquet");
  bytes[bytes.size() / 3] = static_cast<char>(bytes[bytes.size() / 3] ^ 0x5A);  // inside its pages
  write_file(dir_.path() / "in/b.parquet", bytes);
  const std::vector<std::string> rerun = {"load",  dir_.file("in/*.parquet"), "--target", url_, "--table", table_,
                                          "--key", "ip,date,time", "--batch", "b1", "--force", "--json"};
  auto refused = run_idemload(rerun);
  EXPECT_EQ(refused.exit_code, 1) << refused.err << refused.out;  // the job ran, and failed
  EXPECT_NE(refused.out.find("b.parquet, row group 0"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("\"state\":\"failed\""), std::string::npos) << refused.out;
  EXPECT_EQ(count(table_), loaded);

  std::vector<std::string> skipping = rerun;
  skipping.push_back("--ignore-corrupt-files");
  auto skipped = run_idemload(skipping);
  ASSERT_EQ(skipped.exit_code, 0) << skipped.err << skipped.out;
  auto doc = nlohmann::json::parse(skipped.out);
  ASSERT_EQ(doc["skipped_files"].size(), 1u) << skipped.out;
  EXPECT_NE(doc["skipped_files"][0].get<std::string>().find("b.parquet"), std::string::npos) << skipped.out;
  EXPECT_EQ(doc["rows_read"].get<int64_t>(), 3000) << skipped.out;
  EXPECT_EQ(doc["rows_inserted"].get<int64_t>(), 0) << skipped.out;
  EXPECT_EQ(count(table_), loaded);
}

TEST_P(StrategyOptions, UpsertUpdateReplacesValuesAndDoNothingKeepsThem) {
  // The table holds the seed rows with other values under the same keys.
  std::string changed = "ip,date,time,size,doc\n";
  for (int row = 0; row < 300; row += 5) {
    changed += fmt::format("10.0.{}.a,2017-06-30,00:00:{:02},999.0,old\n", row / 60, row % 60);
  }
  write_file(dir_.path() / "old.csv", changed);
  const std::string keep = table_ + "_k";
  ASSERT_EQ(load("old.csv", {"--primary-key"}).exit_code, 0);
  ASSERT_EQ(load("old.csv", {"--primary-key"}, keep).exit_code, 0);
  auto update = load("staging.csv", {"--strategy", "upsert", "--on-conflict", "update"});
  ASSERT_EQ(update.exit_code, 0) << update.err << update.out;
  auto doc = nlohmann::json::parse(update.out);
  EXPECT_EQ(doc["rows_inserted"].get<int64_t>(), 240);
  EXPECT_EQ(doc["rows_updated"].get<int64_t>(), 60);
  EXPECT_TRUE(verify()["ok"].get<bool>());
  auto nothing = load("staging.csv", {"--strategy", "upsert"}, keep);
  ASSERT_EQ(nothing.exit_code, 0) << nothing.err << nothing.out;
  auto kept = verify("staging.csv", keep);
  EXPECT_EQ(kept["different"].get<int64_t>(), 60) << kept.dump();  // DO NOTHING keeps the old values
  EXPECT_EQ(kept["missing"].get<int64_t>(), 0);
}

TEST_P(StrategyOptions, OverwriteReplacesOnlyItsScope) {
  ASSERT_EQ(load("seed.csv").exit_code, 0);
  // Another batch in the same table must not change.
  auto other = run_idemload({"load", dir_.file("seed.csv"), "--target", url_, "--table", table_, "--key",
                             "ip,date,time", "--batch", "b2", "--quiet"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  auto before_b2 = verify("seed.csv", table_, {"--batch", "b2"});
  auto overwrite = load("staging.csv", {"--strategy", "overwrite"});
  ASSERT_EQ(overwrite.exit_code, 0) << overwrite.err << overwrite.out;
  auto doc = nlohmann::json::parse(overwrite.out);
  EXPECT_EQ(doc["rows_deleted"].get<int64_t>(), 60);
  EXPECT_EQ(doc["rows_inserted"].get<int64_t>(), 300);
  EXPECT_TRUE(verify("staging.csv", table_, {"--batch", "b1"})["ok"].get<bool>());
  auto after_b2 = verify("seed.csv", table_, {"--batch", "b2"});
  EXPECT_TRUE(after_b2["ok"].get<bool>());
  EXPECT_EQ(before_b2["target_digest"], after_b2["target_digest"]);
}

TEST_P(StrategyOptions, OverwriteWithScopeAllSwapsTheWholeTable) {
  auto seeded = load("seed.csv", {"--scope", "all"});
  ASSERT_EQ(seeded.exit_code, 0) << seeded.err << seeded.out;
  auto overwrite = load("staging.csv", {"--strategy", "overwrite", "--scope", "all"});
  ASSERT_EQ(overwrite.exit_code, 0) << overwrite.err << overwrite.out;
  auto check = verify();
  EXPECT_TRUE(check["ok"].get<bool>()) << check.dump();
  EXPECT_EQ(check["target_rows"].get<int64_t>(), 300);
  auto target = targets::open_target(url_);
  EXPECT_FALSE(target->table_schema(table_ + "__idemload_new").has_value()) << "the staging table was left behind";
}

// Only the servers: an embedded database has no connection to drop.
using DroppedConnection = StrategyOptions;

TEST_P(DroppedConnection, FailsTheJobAndTheRerunRepairsIt) {
  // A database of its own, so that terminating its connections touches no other test.
  auto admin = targets::open_target(url_);
  auto parsed = targets::parse_url(url_);
  std::string db = fmt::format("idemload_drop_{}", ::getpid());
  admin->execute("DROP DATABASE IF EXISTS " + db);
  admin->execute("CREATE DATABASE " + db);
  std::string url = fmt::format("{}://{}@{}:{}/{}", parsed.scheme, parsed.user, parsed.host, parsed.port, db);
  std::string big = "ip,date,time,size,doc\n";
  for (int row = 0; row < 40000; ++row) {
    big += fmt::format("10.{}.{}.a,2017-06-30,{:02}:{:02}:{:02},{}.0,d\n", row / 3600, row % 7, (row / 3600) % 24,
                       (row / 60) % 60, row % 60, row);
  }
  write_file(dir_.path() / "big.csv", big);
  auto loader = std::async(std::launch::async, [&] {
    return run_idemload({"load", dir_.file("big.csv"), "--target", url, "--table", "dropped", "--key", "ip,date,time",
                         "--batch", "b1", "--chunk-rows", "2000", "--json"},
                        {{"IDEMLOAD_FAILPOINTS", "after_rows_read=sleep:400@1+"}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(900));
  if (GetParam() == "postgres") {
    admin->query(fmt::format("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'", db));
  } else {
    for (const auto& row : admin->query(fmt::format(
             "SELECT id FROM information_schema.processlist WHERE db = '{}' AND id <> CONNECTION_ID()", db))) {
      try {
        admin->execute("KILL " + row.at(0).value_or("0"));
      } catch (const std::exception&) {
        // already gone
      }
    }
  }
  auto failed = loader.get();
  EXPECT_EQ(failed.exit_code, 1) << failed.err << failed.out;
  auto doc = nlohmann::json::parse(failed.out);
  EXPECT_EQ(doc["state"], "failed") << failed.out;
  auto rerun = run_idemload({"load", dir_.file("big.csv"), "--target", url, "--table", "dropped", "--key",
                             "ip,date,time", "--batch", "b1", "--json"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err << rerun.out;
  auto check = run_idemload({"verify", dir_.file("big.csv"), "--target", url, "--table", "dropped", "--key",
                             "ip,date,time", "--batch", "b1", "--json"});
  EXPECT_EQ(check.exit_code, 0) << check.out;
  admin->execute("DROP DATABASE " + db);
}

// A load whose rows are mostly in the table already (here the recovery of a job killed when
// 80% of its rows were read) decodes the source's key columns alone, and the other columns only
// for the rows it adds (DedupedSource::defer_all_but_keys): a recovery told to fail where it
// reads them fails there. Recovered, the table holds exactly the source: the EDGAR table from
// gen (duplicate keys, NULLs, twelve more columns over two row groups), chunks of 10 000 rows.
TEST(DeferredColumns, ARecoveryReadsTheOtherColumnsForTheRowsItAddsExactly) {
  TempDir dir;
  const std::string source = dir.file("edgar.parquet");
  ASSERT_EQ(run_idemload({"gen", "edgar", "--rows", "200000", "--seed", "5", "--out", source, "-q"})
                .exit_code,
            0);
  const std::string url = "sqlite:" + dir.file("t.sqlite");
  const std::vector<std::string> load = {
      "load",    source, "--target",     url,     "--table", "edgar", "--key", "ip,date,time",
      "--batch", "b1",   "--chunk-rows", "10000", "--json"};
  // 8192 rows a batch: the 20th read is 82% of the rows.
  auto killed = run_idemload(load, {{"IDEMLOAD_FAILPOINTS", "after_rows_read=kill@20"}});
  ASSERT_EQ(killed.term_signal, SIGKILL) << killed.err << killed.out;

  auto failed = run_idemload(load, {{"IDEMLOAD_FAILPOINTS", "deferred_columns_read=error"}});
  ASSERT_EQ(failed.exit_code, 1) << failed.err << failed.out;
  EXPECT_NE(failed.out.find("deferred_columns_read"), std::string::npos) << failed.out;

  auto recovered = run_idemload(load);
  ASSERT_EQ(recovered.exit_code, 0) << recovered.err << recovered.out;
  auto doc = nlohmann::json::parse(recovered.out);
  EXPECT_GT(doc["rows_matched"].get<int64_t>(), 100000) << recovered.out;
  EXPECT_GT(doc["rows_inserted"].get<int64_t>(), 30000) << recovered.out;
  auto check = run_idemload({"verify", source, "--target", url, "--table", "edgar", "--key",
                             "ip,date,time", "--batch", "b1", "--json"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

std::string param_name(const ::testing::TestParamInfo<std::string>& param) { return param.param; }
INSTANTIATE_TEST_SUITE_P(AllTargets, StrategyOptions, ::testing::Values("sqlite", "postgres", "mysql"), param_name);
INSTANTIATE_TEST_SUITE_P(Servers, DroppedConnection, ::testing::Values("postgres", "mysql"), param_name);

}  // namespace
}  // namespace idemload::testing
