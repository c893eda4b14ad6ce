// idemload gen edgar: writes N synthetic EDGAR log rows (ops/gen_edgar.h) to a CSV file in the
// SEC's own text form or to a Parquet file, and optionally the course's mock production table:
// a seeded sample of the distinct rows (first occurrence of each ip,date,time key).
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "core/error.h"
#include "formats/parquet/parquet_writer.h"
#include "ops/dedupe.h"
#include "ops/gen_edgar.h"
#include "ops/sample.h"

namespace idemload::cli {
namespace {

struct GenFlags {
  int64_t rows = 0;
  uint64_t seed = 42;
  double duplicate_fraction = 0.03;
  std::string date = "2017-06-30";
  std::string out;
  std::string sample_out;
  double sample_fraction = 0.2;
  uint64_t sample_seed = 42;
  std::string codec = "snappy";
};

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// One output file, CSV (the SEC's text: "200.0", NULL as an empty field) or Parquet (typed), by
// its extension.
class EdgarFileWriter {
 public:
  EdgarFileWriter(const std::string& path, const std::string& codec) : path_(path) {
    if (ends_with(path, ".parquet")) {
      formats::parquet::ParquetWriteOptions options;
      auto parsed = formats::parquet::parse_write_codec(codec);
      if (!parsed) throw Error::InvalidInput(fmt::format("unknown Parquet codec '{}'", codec));
      options.codec = *parsed;
      parquet_ = std::make_unique<formats::parquet::ParquetWriter>(path, *ops::EdgarGenerator::schema(), options);
    } else if (ends_with(path, ".csv")) {
      file_ = std::fopen(path.c_str(), "wb");
      if (!file_) throw Error::Io({.file = path}, "cannot create the file");
      text_.assign(ops::edgar_csv_header());
      text_ += '\n';
    } else {
      throw Error::InvalidInput(fmt::format("{}: the output must end in .csv or .parquet", path));
    }
  }
  ~EdgarFileWriter() {
    if (file_) std::fclose(file_);
  }
  EdgarFileWriter(const EdgarFileWriter&) = delete;
  EdgarFileWriter& operator=(const EdgarFileWriter&) = delete;

  void write(const Batch& batch) {
    rows_ += static_cast<int64_t>(batch.num_rows());
    if (parquet_) {
      parquet_->write(batch);
      return;
    }
    ops::append_edgar_csv(batch, text_);
    if (text_.size() >= kFlushBytes) flush();
  }

  void close() {
    if (parquet_) {
      parquet_->close();
      return;
    }
    flush();
    std::FILE* file = std::exchange(file_, nullptr);
    if (std::fclose(file) != 0) throw Error::Io({.file = path_}, "cannot close the file");
  }

  int64_t rows() const { return rows_; }

 private:
  void flush() {
    if (!text_.empty() && std::fwrite(text_.data(), 1, text_.size(), file_) != text_.size()) {
      throw Error::Io({.file = path_}, "cannot write (disk full?)");
    }
    text_.clear();
  }

  static constexpr size_t kFlushBytes = size_t{1} << 20;
  std::string path_;
  std::unique_ptr<formats::parquet::ParquetWriter> parquet_;
  std::FILE* file_ = nullptr;
  std::string text_;
  int64_t rows_ = 0;
};

int run_edgar(const GenFlags& flags, const Globals& globals) {
  ops::EdgarGenerator::Options options;
  options.rows = flags.rows;
  options.seed = flags.seed;
  options.duplicate_fraction = flags.duplicate_fraction;
  options.date = flags.date;
  options.text_style = ops::EdgarTextStyle::kTyped;
  ops::EdgarGenerator generator(options);

  EdgarFileWriter out(flags.out, flags.codec);
  std::optional<EdgarFileWriter> sample_out;
  std::optional<ops::Deduper> deduper;
  std::optional<ops::BernoulliSample> sample;
  if (!flags.sample_out.empty()) {
    sample_out.emplace(flags.sample_out, flags.codec);
    deduper.emplace(ops::EdgarGenerator::key_columns());
    sample.emplace(flags.sample_fraction, flags.sample_seed);
  }
  Batch batch, distinct, sampled;
  while (generator.next(batch)) {
    out.write(batch);
    if (sample_out) {
      deduper->apply(batch, distinct);
      sample->apply(distinct, sampled);
      if (sampled.num_rows() > 0) sample_out->write(sampled);
    }
  }
  out.close();
  if (sample_out) sample_out->close();

  const int64_t distinct_rows = deduper ? deduper->distinct_keys() : generator.rows_emitted() - generator.duplicate_key_rows();
  if (globals.json) {
    nlohmann::ordered_json result{{"out", flags.out},
                                  {"rows", generator.rows_emitted()},
                                  {"distinct_keys", distinct_rows},
                                  {"duplicate_key_rows", generator.duplicate_key_rows()},
                                  {"exact_duplicate_rows", generator.exact_duplicate_rows()}};
    if (sample_out) {
      result["sample_out"] = flags.sample_out;
      result["sample_rows"] = sample_out->rows();
    }
    std::cout << result.dump() << "\n";
  } else if (!globals.quiet) {
    std::cout << fmt::format("{}: {} rows, {} distinct keys ({} rows repeat a key, {} repeat the whole row)\n",
                             flags.out, generator.rows_emitted(), distinct_rows, generator.duplicate_key_rows(),
                             generator.exact_duplicate_rows());
    if (sample_out) {
      std::cout << fmt::format("{}: {} rows, a seeded {:.0f}% sample of the distinct rows (share {:.4f})\n",
                               flags.sample_out, sample_out->rows(), flags.sample_fraction * 100,
                               distinct_rows ? static_cast<double>(sample_out->rows()) / static_cast<double>(distinct_rows) : 0.0);
    }
  }
  return kExitOk;
}

const Registration kRegistration(80, [](CLI::App& app, Globals& globals, int& exit_code) {
  auto* gen = app.add_subcommand("gen", "Generate synthetic source data (for benchmarks and tests)");
  gen->require_subcommand(1);
  auto flags = std::make_shared<GenFlags>();
  auto* cmd = gen->add_subcommand("edgar", "EDGAR log rows (15 columns, key ip,date,time) as .csv or .parquet");
  cmd->add_option("--rows,-n", flags->rows, "Number of rows")->required()->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", flags->seed, "Random seed (default 42)");
  cmd->add_option("--dup-fraction", flags->duplicate_fraction,
                  "Share of rows that repeat an earlier row's key (default 0.03)")
      ->check(CLI::Range(0.0, 0.999));
  cmd->add_option("--date", flags->date, "The day of every row, YYYY-MM-DD (default 2017-06-30)");
  cmd->add_option("--out,-o", flags->out, "Output file: .csv (the SEC's text form) or .parquet")->required();
  cmd->add_option("--sample-out", flags->sample_out,
                  "Also write a seeded sample of the distinct rows here (the course's mock production table)");
  cmd->add_option("--sample-fraction", flags->sample_fraction, "Share of distinct rows in --sample-out (default 0.2)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--sample-seed", flags->sample_seed, "Seed of the sample (default 42)");
  cmd->add_option("--codec", flags->codec, "Parquet codec: snappy (default), zstd, gzip, uncompressed");
  cmd->add_flag("--json", globals.json, "Print the counts as JSON");
  cmd->add_flag("--quiet,-q", globals.quiet, "Print nothing");
  cmd->callback([flags, &globals, &exit_code] { exit_code = run_edgar(*flags, globals); });
});

}  // namespace
}  // namespace idemload::cli
