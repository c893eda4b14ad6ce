#include "eval/fault_matrix.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "core/error.h"
#include "formats/csv/csv_writer.h"
#include "formats/parquet/file_metadata.h"
#include "formats/parquet/parquet_writer.h"
#include "formats/source.h"
#include "jobs/ledger.h"
#include "jobs/verify.h"
#include "monitor/monitor.h"
#include "ops/dedupe.h"
#include "ops/gen_edgar.h"
#include "ops/sample.h"
#include "targets/target.h"

namespace idemload::eval {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kKey = {"ip", "date", "time"};
constexpr const char* kBatch = "b1";
constexpr const char* kOtherBatch = "other";
constexpr const char* kRenamedColumn = "crawler";
constexpr double kSeedFraction = 0.2;

const std::vector<std::string>& all_strategies() {
  static const std::vector<std::string> names = {"append", "antijoin", "overwrite", "transactional", "upsert"};
  return names;
}

// ---- child processes ------------------------------------------------------------------------

struct Child {
  pid_t pid = -1;
  std::string out_path, err_path;
  std::chrono::steady_clock::time_point started;
  int64_t started_epoch_ms = 0;
};

struct ChildResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out, err;
  double seconds = 0;
  int64_t max_rss_kb = 0;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Starts `binary args…` with IDEMLOAD_FAILPOINTS = failpoints ("" = unset), stdout and stderr
// to files in `dir`, and, when file_size_limit >= 0, RLIMIT_FSIZE (SIGXFSZ ignored, so a write
// past the limit fails with EFBIG as on a full disk).
Child spawn(const std::string& binary, const std::vector<std::string>& args, const std::string& failpoints,
            const std::string& dir, int64_t file_size_limit = -1, const std::string& pg_app_name = "") {
  static std::atomic<int> counter{0};
  Child child;
  const int number = counter++;
  child.out_path = (fs::path(dir) / fmt::format("child-{}.out", number)).string();
  child.err_path = (fs::path(dir) / fmt::format("child-{}.err", number)).string();
  std::vector<std::string> argv_text = {binary};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);
  child.started = std::chrono::steady_clock::now();
  child.started_epoch_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  pid_t pid = ::fork();
  if (pid < 0) throw Error::Internal("fork failed while starting a load");
  if (pid == 0) {
    int out = ::open(child.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(child.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0) ::_exit(126);
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (failpoints.empty()) {
      ::unsetenv("IDEMLOAD_FAILPOINTS");
    } else {
      ::setenv("IDEMLOAD_FAILPOINTS", failpoints.c_str(), 1);
    }
    // libpq names the child's sessions, so that the evaluator can find exactly them.
    if (!pg_app_name.empty()) ::setenv("PGAPPNAME", pg_app_name.c_str(), 1);
    if (file_size_limit >= 0) {
      ::signal(SIGXFSZ, SIG_IGN);
      rlimit limit{static_cast<rlim_t>(file_size_limit), static_cast<rlim_t>(file_size_limit)};
      ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  child.pid = pid;
  return child;
}

// Whether the child has exited (without reaping it).
bool has_exited(const Child& child) {
  siginfo_t info{};
  info.si_pid = 0;
  if (::waitid(P_PID, static_cast<id_t>(child.pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return true;
  return info.si_pid != 0;
}

ChildResult finish(const Child& child) {
  ChildResult result;
  int status = 0;
  rusage usage{};
  while (::wait4(child.pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) throw Error::Internal("wait4 failed for a load process");
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - child.started).count();
  result.max_rss_kb = usage.ru_maxrss;
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.out = slurp(child.out_path);
  result.err = slurp(child.err_path);
  fs::remove(child.out_path);
  fs::remove(child.err_path);
  return result;
}

std::string first_line(const std::string& text, size_t limit = 160) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > limit) line = line.substr(0, limit) + "…";
  return line;
}

// ---- staging files --------------------------------------------------------------------------

// The files of one seed: staging (CSV and Parquet), the other batch, and a copy of the CSV with
// malformed rows.
struct Staging {
  std::string csv, parquet, other_csv, other_parquet, malformed_csv;
  int64_t distinct = 0;
  int64_t malformed_rows = 0;
};

void write_edgar(const std::string& csv_path, const std::string& parquet_path, int64_t rows, uint64_t seed,
                 const std::string& date, int64_t* distinct) {
  {
    ops::EdgarGenerator generator({.rows = rows, .seed = seed, .date = date,
                                   .text_style = ops::EdgarTextStyle::kSecDecimals});
    formats::csv::CsvWriter writer(csv_path, *generator.output_schema());
    ops::Deduper deduper(ops::EdgarGenerator::key_columns());
    Batch batch(generator.output_schema()), unique(generator.output_schema());
    while (generator.next(batch)) {
      writer.write(batch);
      deduper.apply(batch, unique);
    }
    writer.close();
    if (distinct != nullptr) *distinct = deduper.distinct_keys();
  }
  // Parquet with the typed columns, in several row groups so that a corrupt page can sit after
  // committed chunks.
  ops::EdgarGenerator generator({.rows = rows, .seed = seed, .date = date});
  formats::parquet::ParquetWriteOptions options;
  options.row_group_rows = static_cast<size_t>(std::max<int64_t>(1000, rows / 4));
  formats::parquet::ParquetWriter writer(parquet_path, *generator.output_schema(), options);
  Batch batch(generator.output_schema());
  while (generator.next(batch)) writer.write(batch);
  writer.close();
}

// Gives some lines after the first third an extra field: rows the reader must reject.
int64_t write_malformed(const std::string& from, const std::string& to, uint64_t seed) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::mt19937_64 rng(seed ^ 0x6d616c66ULL);
  const size_t start = std::max<size_t>(1, lines.size() / 3);
  int64_t broken = 0;
  for (size_t line_idx = 0; line_idx < lines.size(); ++line_idx) {
    out << lines[line_idx];
    if (line_idx >= start && rng() % 500 == 0) {
      out << ",unexpected extra field";
      ++broken;
    }
    out << '\n';
  }
  if (broken == 0 && lines.size() > 1) {  // tiny files: break the last line
    out.seekp(-1, std::ios::end);
    out << ",unexpected extra field\n";
    broken = 1;
  }
  if (!out) throw Error::Io({.file = to}, "cannot write the malformed staging file");
  return broken;
}

Staging make_staging(const std::string& dir, int64_t rows, uint64_t seed) {
  fs::create_directories(dir);
  Staging files;
  files.csv = (fs::path(dir) / "staging.csv").string();
  files.parquet = (fs::path(dir) / "staging.parquet").string();
  files.other_csv = (fs::path(dir) / "other.csv").string();
  files.other_parquet = (fs::path(dir) / "other.parquet").string();
  files.malformed_csv = (fs::path(dir) / "malformed.csv").string();
  write_edgar(files.csv, files.parquet, rows, seed, "2017-06-30", &files.distinct);
  // The other batch: another day, so that no key is shared with the staging batch.
  write_edgar(files.other_csv, files.other_parquet, std::max<int64_t>(100, rows / 4), seed + 7919, "2017-07-01",
              nullptr);
  files.malformed_rows = write_malformed(files.csv, files.malformed_csv, seed);
  return files;
}

// Flips bytes inside the body of a data page of the last row group (the CRC and the decoder
// must notice). Returns where.
std::string corrupt_parquet_page(const std::string& path, std::mt19937_64& rng) {
  std::string bytes = slurp(path);
  if (bytes.size() < 12) throw Error::Internal("parquet file too small to corrupt: " + path);
  uint32_t footer_len = 0;
  std::memcpy(&footer_len, bytes.data() + bytes.size() - 8, 4);
  const size_t footer_start = bytes.size() - 8 - footer_len;
  auto meta = formats::parquet::parse_file_metadata(reinterpret_cast<const uint8_t*>(bytes.data()) + footer_start,
                                                    footer_len);
  if (meta.row_groups.empty()) throw Error::Internal("parquet file without row groups: " + path);
  const size_t group_idx = meta.row_groups.size() - 1;
  const auto& group = meta.row_groups[group_idx];
  const size_t column_idx = rng() % group.columns.size();
  const int64_t page_offset = group.columns[column_idx].meta_data.data_page_offset;
  size_t header_size = 0;
  auto header = formats::parquet::parse_page_header(reinterpret_cast<const uint8_t*>(bytes.data()) + page_offset,
                                                    footer_start - static_cast<size_t>(page_offset), header_size);
  const size_t body = static_cast<size_t>(page_offset) + header_size;
  const size_t body_size = static_cast<size_t>(std::max<int32_t>(1, header.compressed_page_size));
  const size_t at = body + rng() % body_size;
  for (size_t idx = at; idx < std::min(at + 4, body + body_size); ++idx) bytes[idx] = static_cast<char>(bytes[idx] ^ 0x5a);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) throw Error::Io({.file = path}, "cannot write the corrupted copy");
  return fmt::format("flipped 4 bytes at offset {} in the data page of column {} in row group {}", at, column_idx,
                     group_idx);
}

// ---- one cell -------------------------------------------------------------------------------

uint64_t fault_seed(uint64_t seed, const std::string& fault) {
  uint64_t hash = 1469598103934665603ULL;
  for (char c : fault) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return hash ^ (seed * 0x9e3779b97f4a7c15ULL);
}

class Cell {
 public:
  Cell(const MatrixOptions& options, const Staging& staging, std::string dialect, std::string strategy,
       std::string fault, uint64_t seed, std::string recovery, std::string dir, std::string url, std::string table)
      : options_(options),
        staging_(staging),
        dir_(std::move(dir)),
        url_(std::move(url)),
        table_(std::move(table)),
        rng_(fault_seed(seed, fault)) {
    result_.dialect = std::move(dialect);
    result_.strategy = std::move(strategy);
    result_.fault = std::move(fault);
    result_.seed = seed;
    result_.recovery = std::move(recovery);
    parquet_ = result_.fault == "corrupt_parquet_page";
    good_source_ = parquet_ ? staging_.parquet : staging_.csv;
    other_source_ = parquet_ ? staging_.other_parquet : staging_.other_csv;
    source_ = (fs::path(dir_) / (parquet_ ? "staging.parquet" : "staging.csv")).string();
    chunk_rows_ = options.chunk_rows > 0 ? options.chunk_rows
                                         : static_cast<size_t>(std::max<int64_t>(100, options.rows / 8));
  }

  CellResult run() {
    try {
      fs::copy_file(good_source_, source_, fs::copy_options::overwrite_existing);
      target_ = targets::open_target(url_);
      prepare();
      inject();
      if (result_.fault != "rerun_3x") recover();
      check();
    } catch (const std::exception& error) {
      result_.holds = false;
      add_note(fmt::format("evaluator error: {}", error.what()));
    }
    return result_;
  }

  void drop() {
    try {
      if (!target_) target_ = targets::open_target(url_);
      target_->drop_table(table_);
    } catch (const std::exception&) {
      // Best effort: a leftover table has a unique name and harms nothing.
    }
  }

 private:
  void add_note(const std::string& text) { result_.note += (result_.note.empty() ? "" : "; ") + text; }

  formats::SourceOptions source_options(const std::string& path) const {
    formats::SourceOptions options;
    if (!parquet_ && path != good_source_) {
      // The CSV files of a cell must read with the staging file's column types.
      for (const auto& field : staging_schema_->fields()) options.column_types[field.name] = field.type;
    }
    return options;
  }

  // Writes the de-duplicated rows of `path` (a seeded `fraction` of them) under `batch`.
  void write_rows(const std::string& path, const std::string& batch, double fraction, uint64_t seed) {
    formats::MultiFileReader reader({path}, source_options(path));
    ops::Deduper deduper(reader.schema()->indexes_of(kKey, "key column", path));
    ops::BernoulliSample sample(fraction, seed);
    targets::WriteOptions write_options;
    write_options.lineage = batch;
    auto writer = target_->writer(table_, *reader.schema(), write_options);
    Batch raw(reader.schema()), distinct(reader.schema()), sampled(reader.schema());
    target_->begin();
    while (reader.next(raw)) {
      deduper.apply(raw, distinct);
      sample.apply(distinct, sampled);
      writer->write(sampled);
    }
    writer->flush();
    target_->commit();
  }

  // A fresh table holding another batch (the rows that must stay untouched) and the lesson's
  // state: a seeded 20% of the distinct staging rows.
  void prepare() {
    target_->drop_table(table_);
    {
      formats::MultiFileReader reader({good_source_}, {});
      staging_schema_ = reader.schema();
    }
    targets::CreateOptions create;
    create.lineage = true;
    if (result_.strategy == "upsert") create.primary_key = kKey;
    target_->create_table(table_, *staging_schema_, create);
    write_rows(other_source_, kOtherBatch, 1.0, result_.seed);
    write_rows(good_source_, kBatch, kSeedFraction, result_.seed);
    auto other = jobs::verify({other_source_}, source_options(other_source_), *target_, table_, kKey,
                              targets::Scope::lineage(kOtherBatch));
    if (!other.ok()) throw Error::Internal("the other batch did not load exactly: " + other.summary());
    other_digest_ = other.target_digest;
  }

  std::vector<std::string> load_args(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> args = {"load",  source_, "--target", url_,    "--table",     table_,
                                     "--key", "ip,date,time", "--batch", kBatch, "--strategy", result_.strategy,
                                     "--chunk-rows", std::to_string(chunk_rows_), "--json", "--lock-timeout", "120s",
                                     "--heartbeat-ms", "500"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  ChildResult account(const Child& child) {
    ChildResult run = finish(child);
    ++result_.attempts;
    result_.seconds += run.seconds;
    result_.peak_rss_kb = std::max(result_.peak_rss_kb, run.max_rss_kb);
    return run;
  }

  ChildResult run_load(const std::string& failpoints, const std::vector<std::string>& extra = {},
                       int64_t file_size_limit = -1) {
    return account(spawn(options_.binary, load_args(extra), failpoints, dir_, file_size_limit));
  }

  int64_t draw(int64_t low, int64_t high) {  // inclusive
    if (high <= low) return low;
    return low + static_cast<int64_t>(rng_() % static_cast<uint64_t>(high - low + 1));
  }

  // How many times a per-chunk point is reached by this strategy (conservatively).
  int64_t chunk_hits() const {
    const auto& strategy = result_.strategy;
    if (strategy == "overwrite" || strategy == "transactional") return 1;
    const double rows = strategy == "antijoin" ? 0.75 * static_cast<double>(staging_.distinct)
                                               : static_cast<double>(staging_.distinct);
    return std::max<int64_t>(1, static_cast<int64_t>(rows / static_cast<double>(chunk_rows_)));
  }
  int64_t read_hits() const {
    return std::max<int64_t>(1, (options_.rows + static_cast<int64_t>(kDefaultBatchRows) - 1) /
                                    static_cast<int64_t>(kDefaultBatchRows));
  }

  std::vector<jobs::JobRow> batch_jobs() {
    jobs::Ledger ledger(*target_);
    std::vector<jobs::JobRow> mine;
    if (!ledger.tables_exist()) return mine;
    for (auto& job : ledger.list("", table_, 100000)) {
      if (job.batch == kBatch) mine.push_back(std::move(job));
    }
    return mine;
  }
  // Whether the newest job of the batch (the attempt just made) is recorded as succeeded.
  bool newest_job_succeeded() {
    auto jobs_now = batch_jobs();
    if (jobs_now.empty()) return false;
    auto newest = std::max_element(jobs_now.begin(), jobs_now.end(), [](const jobs::JobRow& a, const jobs::JobRow& b) {
      return a.job_id < b.job_id;
    });
    return newest->state == jobs::kSucceeded;
  }
  int64_t ledger_rows_written() {
    int64_t total = 0;
    for (const auto& job : batch_jobs()) total += job.rows_inserted;
    return total;
  }

  // A killed or failed attempt: was it noticed? By the job's own state, by the monitor (a
  // `running` job whose process is gone), or by a load refused before anything was written.
  void detect(const ChildResult& attempt) {
    std::vector<std::string> how;
    for (const auto& job : batch_jobs()) {
      if (job.state == jobs::kFailed) how.push_back("job failed: " + first_line(job.error, 120));
    }
    monitor::MonitorOptions monitor_options;
    monitor_options.target_url = url_;
    monitor_options.stale_after_ms = 24LL * 3600 * 1000;
    monitor_options.check_tables = false;
    auto cycle = monitor::Monitor(monitor_options).run_cycle();
    const auto jobs_now = batch_jobs();
    for (const auto& id : cycle.abandoned) {
      bool ours = std::any_of(jobs_now.begin(), jobs_now.end(), [&](const jobs::JobRow& job) { return job.job_id == id; });
      if (ours) how.push_back("monitor: job " + id.substr(0, 13) + "… abandoned (process gone)");
    }
    if (how.empty() && attempt.exit_code > 0) {
      bool recorded = !jobs_now.empty();
      if (!recorded) how.push_back(fmt::format("load refused before writing (exit {}): {}", attempt.exit_code,
                                               first_line(attempt.err, 120)));
    }
    result_.detected = !how.empty();
    for (const auto& item : how) result_.detected_by += (result_.detected_by.empty() ? "" : "; ") + item;
  }

  void rename_column(const std::string& from, const std::string& to) {
    target_->execute(fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", target_->quote(table_), target_->quote(from),
                                 target_->quote(to)));
  }

  // Waits until the child's job row is `running` in the ledger (or the child ends).
  bool wait_for_running_job(const Child& child) {
    auto watcher = targets::open_target(url_);
    for (int attempt = 0; attempt < 3000 && !has_exited(child); ++attempt) {
      try {
        jobs::Ledger ledger(*watcher);
        if (ledger.tables_exist() && !ledger.find_in_state(table_, kBatch, jobs::kRunning).empty()) return true;
      } catch (const std::exception&) {
        // The ledger may be mid-creation; look again.
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  std::string app_name() const { return "idemload-evaluate-" + table_; }

  // Kills the child's database sessions from a second connection (PostgreSQL, MariaDB).
  int64_t kill_sessions(const Child& child) {
    auto admin = targets::open_target(url_);
    int64_t killed = 0;
    if (admin->dialect() == targets::DialectKind::kPostgres) {
      auto rows = admin->query(
          "SELECT pid FROM pg_stat_activity WHERE application_name = ? AND pid <> pg_backend_pid()", {app_name()});
      for (const auto& row : rows) {
        if (!row[0]) continue;
        admin->query("SELECT pg_terminate_backend(" + *row[0] + ")");
        ++killed;
      }
    } else {
      // MariaDB has no application name from the environment: the sessions of this database
      // and user that are not the evaluator's and were busy since the child started.
      const auto own = target_->query("SELECT CONNECTION_ID()");
      const int64_t own_id = own.empty() || !own[0][0] ? -1 : std::stoll(*own[0][0]);
      auto rows = admin->query(
          "SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND DB = DATABASE() "
          "AND USER = SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AND ID <> ? AND TIME <= ?",
          {own_id, static_cast<int64_t>(std::chrono::duration<double>(std::chrono::steady_clock::now() - child.started).count()) + 1});
      for (const auto& row : rows) {
        if (!row[0]) continue;
        try {
          admin->execute("KILL " + *row[0]);
          ++killed;
        } catch (const std::exception&) {
          // The session ended by itself meanwhile.
        }
      }
    }
    return killed;
  }

  void inject() {
    const auto& fault = result_.fault;
    ChildResult attempt;
    if (fault == "none") {
      result_.injection = "clean load";
      attempt = run_load("");
      if (attempt.exit_code != 0) add_note("the clean load failed: " + first_line(attempt.err + attempt.out));
      return;
    }
    if (fault == "rerun_3x") {
      result_.injection = "load; load --force; load --force";
      for (int round = 0; round < 3; ++round) {
        attempt = run_load("", round == 0 ? std::vector<std::string>{} : std::vector<std::string>{"--force"});
        if (attempt.exit_code != 0) add_note(fmt::format("load {} failed: {}", round + 1, first_line(attempt.err)));
        auto check = jobs::verify({good_source_}, {}, *target_, table_, kKey, targets::Scope::lineage(kBatch));
        digests_.push_back(check.target_digest);
      }
      return;
    }
    if (fault == "concurrent_loader") {
      const int64_t sleep_ms = draw(50, 200);
      result_.injection = fmt::format("two loads at once, after_rows_read=sleep:{}@1+", sleep_ms);
      const std::string point = fmt::format("after_rows_read=sleep:{}@1+", sleep_ms);
      Child first = spawn(options_.binary, load_args(), point, dir_);
      Child second = spawn(options_.binary, load_args(), point, dir_);
      ChildResult a = account(first), b = account(second);
      result_.fired = true;
      auto applied = [](const ChildResult& run) {
        if (run.exit_code != 0) return std::string("refused");
        auto doc = nlohmann::json::parse(run.out, nullptr, false);
        if (doc.is_discarded()) return std::string("unreadable");
        return doc.value("noop", false) ? std::string("noop") : std::string("applied");
      };
      const std::string first_state = applied(a), second_state = applied(b);
      const bool serialized = (first_state == "applied") != (second_state == "applied") &&
                              (first_state == "applied" || second_state == "applied");
      result_.detected = serialized;
      result_.detected_by = fmt::format("lock serialized them: first {}, second {}", first_state, second_state);
      if (a.exit_code != 0 && a.exit_code != 4) add_note("first loader: " + first_line(a.err));
      if (b.exit_code != 0 && b.exit_code != 4) add_note("second loader: " + first_line(b.err));
      rows_before_recovery_ = ledger_rows_written();
      return;
    }

    std::string failpoints;
    int64_t file_size_limit = -1;
    std::vector<std::string> extra = {"--force"};
    enum class Expect { kSignal, kFailure } expect = Expect::kSignal;
    if (fault == "kill_after_rows") {
      failpoints = fmt::format("after_rows_read=kill@{}", draw(1, read_hits()));
    } else if (fault == "kill_after_chunk_commit") {
      failpoints = fmt::format("after_chunk_commit=kill@{}", draw(1, chunk_hits()));
    } else if (fault == "kill_inside_commit") {
      failpoints = fmt::format("inside_commit=kill@{}", draw(1, chunk_hits()));
    } else if (fault == "kill_before_ledger_finish") {
      failpoints = "before_ledger_finish=kill";
    } else if (fault == "source_io_error") {
      failpoints = fmt::format("after_rows_read=error@{}", draw(1, read_hits()));
      expect = Expect::kFailure;
    } else if (fault == "connection_error") {
      failpoints = fmt::format("target_write=error@{}", draw(1, chunk_hits()));
      expect = Expect::kFailure;
    } else if (fault == "corrupt_parquet_page") {
      result_.injection = corrupt_parquet_page(source_, rng_);
      expect = Expect::kFailure;
      repaired_source_ = true;
    } else if (fault == "malformed_csv") {
      fs::copy_file(staging_.malformed_csv, source_, fs::copy_options::overwrite_existing);
      result_.injection = fmt::format("{} rows with an extra field, --max-rejects 0", staging_.malformed_rows);
      extra.push_back("--max-rejects");
      extra.push_back("0");
      expect = Expect::kFailure;
      repaired_source_ = true;
    } else if (fault == "disk_full") {
      // Start the WAL empty, so that the limit bounds what this job can write.
      target_->query("PRAGMA wal_checkpoint(TRUNCATE)");
      file_size_limit = draw(2, 7) * 32 * 1024;
      result_.injection = fmt::format("RLIMIT_FSIZE {} KiB on the load process (writes past it fail with EFBIG)",
                                      file_size_limit / 1024);
      expect = Expect::kFailure;
    } else if (fault == "schema_changed" || fault == "connection_killed") {
      const int64_t sleep_ms = draw(600, 1000);
      failpoints = fmt::format("after_rows_read=sleep:{}@1", sleep_ms);
      Child child = spawn(options_.binary, load_args(extra), failpoints, dir_, -1, app_name());
      const bool running = wait_for_running_job(child);
      bool acted_while_running = false;
      if (running) {
        if (fault == "schema_changed") {
          rename_column(kRenamedColumn, std::string(kRenamedColumn) + "_moved");
          renamed_ = true;
          result_.injection = fmt::format("{}; evaluator renamed column {} while the job ran", failpoints, kRenamedColumn);
        } else {
          const int64_t killed = kill_sessions(child);
          result_.injection = fmt::format("{}; evaluator killed {} database session(s) of the job", failpoints, killed);
        }
        // The change may have waited for the job's transaction (a database lock): then it came
        // after the job's commit, not during the job.
        acted_while_running = !has_exited(child) && !newest_job_succeeded();
      }
      attempt = account(child);
      result_.fired = acted_while_running;
      if (!acted_while_running) add_note("did not fire: the job had committed before the change took effect");
      detect(attempt);
      rows_before_recovery_ = ledger_rows_written();
      return;
    } else {
      throw Error::InvalidInput("unknown fault " + fault);
    }
    if (result_.injection.empty()) result_.injection = failpoints;
    attempt = run_load(failpoints, extra, file_size_limit);
    result_.fired = expect == Expect::kSignal ? attempt.signal == SIGKILL : attempt.exit_code != 0;
    if (!result_.fired) {
      add_note(attempt.signal != 0 ? fmt::format("killed by signal {}", attempt.signal)
                                   : "did not fire: the job completed (the point was not reached)");
    } else if (newest_job_succeeded()) {
      // Killed after the commit that also marked the job succeeded (the all-or-nothing
      // strategies): the job was complete, so there was no failure to detect.
      result_.fired = false;
      add_note("did not fire: the kill came after the job's final commit (ledger: succeeded)");
    }
    detect(attempt);
    rows_before_recovery_ = ledger_rows_written();
  }

  void recover() {
    if (repaired_source_) fs::copy_file(good_source_, source_, fs::copy_options::overwrite_existing);
    if (renamed_) rename_column(std::string(kRenamedColumn) + "_moved", kRenamedColumn);
    if (result_.fault == "none") return;
    ChildResult run;
    auto started = std::chrono::steady_clock::now();
    if (result_.recovery == "recover") {
      jobs::Ledger ledger(*target_);
      std::string newest;
      for (const char* state : {jobs::kFailed, jobs::kAbandoned}) {
        for (const auto& job : ledger.find_in_state(table_, kBatch, state)) newest = std::max(newest, job.job_id);
      }
      if (newest.empty()) {
        add_note("nothing to recover (no failed or abandoned job): re-ran the load");
        run = run_load("");
      } else {
        std::vector<std::string> args = {"recover", newest, "--target", url_, "--json"};
        if (repaired_source_) args.push_back("--allow-changed-source");
        run = account(spawn(options_.binary, args, "", dir_));
      }
    } else {
      run = run_load("");
    }
    result_.recovery_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (run.exit_code != 0) add_note(fmt::format("recovery exit {}: {}", run.exit_code, first_line(run.err + run.out)));
  }

  void check() {
    auto main = jobs::verify({good_source_}, {}, *target_, table_, kKey, targets::Scope::lineage(kBatch));
    auto other = jobs::verify({other_source_}, source_options(other_source_), *target_, table_, kKey,
                              targets::Scope::lineage(kOtherBatch));
    result_.source_distinct = main.source_distinct;
    result_.target_rows = main.target_rows;
    result_.duplicates = main.duplicates;
    result_.lost = main.missing;
    result_.extra = main.extra;
    result_.different = main.different;
    result_.outside_unchanged = other.ok() && other.target_digest == other_digest_;
    result_.holds = main.ok() && main.target_rows == main.source_distinct && result_.outside_unchanged;
    if (result_.fault == "rerun_3x") {
      const bool same = digests_.size() == 3 && digests_[0] == digests_[1] && digests_[1] == digests_[2];
      std::string text;
      for (auto digest : digests_) text += (text.empty() ? "" : ", ") + fmt::format("{:016x}", digest);
      add_note(fmt::format("table digests after 1, 2, 3 loads: {}{}", text, same ? " (equal)" : " (differ)"));
      result_.holds = result_.holds && same;
    }
    result_.rows_written = ledger_rows_written();
    result_.recovery_rows_written = result_.rows_written - rows_before_recovery_;
    if (result_.fault == "none" || result_.fault == "rerun_3x") result_.recovery_rows_written = 0;
  }

  const MatrixOptions& options_;
  const Staging& staging_;
  std::string dir_, url_, table_;
  std::mt19937_64 rng_;
  CellResult result_;
  bool parquet_ = false;
  std::string good_source_, other_source_, source_;
  size_t chunk_rows_ = 0;
  std::unique_ptr<targets::Target> target_;
  std::shared_ptr<const Schema> staging_schema_;
  uint64_t other_digest_ = 0;
  bool repaired_source_ = false;
  bool renamed_ = false;
  int64_t rows_before_recovery_ = 0;
  std::vector<uint64_t> digests_;
};

}  // namespace

const std::vector<std::string>& fault_names() {
  static const std::vector<std::string> names = {
      "none",           "kill_after_rows",      "kill_after_chunk_commit", "kill_inside_commit",
      "kill_before_ledger_finish", "source_io_error", "corrupt_parquet_page", "malformed_csv",
      "connection_error", "connection_killed",   "schema_changed",          "concurrent_loader",
      "disk_full",      "rerun_3x"};
  return names;
}

bool fault_applies(const std::string& fault, const std::string& dialect) {
  if (fault == "connection_killed") return dialect != "sqlite";
  if (fault == "disk_full") return dialect == "sqlite";  // a server's disk is not ours to fill
  return std::find(fault_names().begin(), fault_names().end(), fault) != fault_names().end();
}

std::vector<std::string> recoveries_for(const std::string& fault) {
  if (fault == "none" || fault == "rerun_3x" || fault == "concurrent_loader") return {"rerun"};
  return {"rerun", "recover"};
}

std::string dialect_of(const std::string& target_url) {
  if (target_url.rfind("postgres", 0) == 0) return "postgres";
  if (target_url.rfind("mysql", 0) == 0 || target_url.rfind("mariadb", 0) == 0) return "mysql";
  return "sqlite";
}

nlohmann::json CellResult::to_json() const {
  return {{"dialect", dialect},
          {"strategy", strategy},
          {"fault", fault},
          {"seed", seed},
          {"recovery", recovery},
          {"injection", injection},
          {"fired", fired},
          {"detected", detected},
          {"detected_by", detected_by},
          {"holds", holds},
          {"source_distinct", source_distinct},
          {"target_rows", target_rows},
          {"duplicates", duplicates},
          {"lost", lost},
          {"extra", extra},
          {"different", different},
          {"outside_unchanged", outside_unchanged},
          {"attempts", attempts},
          {"rows_written", rows_written},
          {"recovery_rows_written", recovery_rows_written},
          {"seconds", seconds},
          {"recovery_seconds", recovery_seconds},
          {"peak_rss_kb", peak_rss_kb},
          {"note", note}};
}

std::vector<CellResult> run_matrix(const MatrixOptions& options, const CellCallback& on_cell) {
  if (options.binary.empty()) throw Error::InvalidInput("evaluate: no idemload binary to run");
  if (options.rows < 10) throw Error::InvalidInput("--rows must be at least 10");
  const std::string dialect = dialect_of(options.target_url);
  std::vector<std::string> strategies = options.strategies.empty() ? all_strategies() : options.strategies;
  for (const auto& name : strategies) {
    if (std::find(all_strategies().begin(), all_strategies().end(), name) == all_strategies().end()) {
      throw Error::InvalidInput(fmt::format("unknown strategy '{}' (append, antijoin, overwrite, transactional, upsert)", name));
    }
  }
  std::vector<std::string> faults;
  for (const auto& name : options.faults.empty() ? fault_names() : options.faults) {
    if (std::find(fault_names().begin(), fault_names().end(), name) == fault_names().end()) {
      throw Error::InvalidInput(fmt::format("unknown fault '{}' (`idemload evaluate --help` lists them)", name));
    }
    if (fault_applies(name, dialect)) faults.push_back(name);
  }
  // The clean load is what every cost is relative to: always measured.
  if (std::find(faults.begin(), faults.end(), "none") == faults.end()) faults.insert(faults.begin(), "none");
  if (options.seeds.empty()) throw Error::InvalidInput("--seeds needs at least one seed");
  if (!options.target_url.empty()) targets::open_target(options.target_url);  // fail early and clearly

  fs::create_directories(options.work_dir);
  size_t total = 0;
  for (const auto& fault : faults) total += recoveries_for(fault).size();
  total *= strategies.size() * options.seeds.size();

  std::vector<CellResult> results;
  size_t counter = 0;
  for (uint64_t seed : options.seeds) {
    const std::string seed_dir = (fs::path(options.work_dir) / fmt::format("seed-{}", seed)).string();
    Staging staging = make_staging(seed_dir, options.rows, seed);
    for (const auto& fault : faults) {
      for (const auto& strategy : strategies) {
        for (const auto& recovery : recoveries_for(fault)) {
          const std::string cell_dir = (fs::path(seed_dir) / fmt::format("cell-{}", counter)).string();
          fs::create_directories(cell_dir);
          const std::string table = fmt::format("ev_{}_{}_{}", ::getpid(), counter, strategy);
          const std::string url =
              options.target_url.empty() ? "sqlite:" + (fs::path(cell_dir) / "target.sqlite").string() : options.target_url;
          Cell cell(options, staging, dialect, strategy, fault, seed, recovery, cell_dir, url, table);
          results.push_back(cell.run());
          if (!options.target_url.empty()) cell.drop();
          std::error_code ignored;
          fs::remove_all(cell_dir, ignored);
          ++counter;
          if (on_cell) on_cell(results.back(), counter, total);
        }
      }
    }
    std::error_code ignored;
    fs::remove_all(seed_dir, ignored);
  }
  return results;
}

}  // namespace idemload::eval
