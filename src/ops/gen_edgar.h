// EdgarGenerator: synthetic rows shaped like the SEC's EDGAR log files (the 15 columns of
// ../shared/fixtures/edgar), deterministic from a seed, with a chosen share of rows that repeat
// the (ip, date, time) key of an earlier row; and the SEC's own text form of such rows.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/column.h"

namespace idemload::ops {

// How the numeric columns come out. kTyped: int64 columns, the types the CSV reader infers from
// the real files (write them with append_edgar_csv to get the SEC's "200.0" text). kSecDecimals:
// the numeric columns are kString holding the SEC's text ("200.0", "1608552.0"), so that any
// generic CSV writer reproduces the real files byte for byte.
enum class EdgarTextStyle { kTyped, kSecDecimals };

class EdgarGenerator {
 public:
  struct Options {
    int64_t rows = 0;
    uint64_t seed = 42;
    // Share of rows that repeat the (ip, date, time) key of an earlier row; about a quarter of
    // those repeat the whole row.
    double duplicate_fraction = 0.03;
    std::string date = "2017-06-30";  // the day of every row, YYYY-MM-DD
    EdgarTextStyle text_style = EdgarTextStyle::kTyped;
  };

  // Column indexes of the key (ip, date, time).
  static constexpr size_t kIpColumn = 0, kDateColumn = 1, kTimeColumn = 2;
  static const std::vector<size_t>& key_columns();

  // Throws Error(kInvalidInput) for negative rows, a bad date, or a duplicate_fraction outside
  // [0, 1).
  explicit EdgarGenerator(Options options);

  // ip string, date date, time time, zone int64, cik int64, accession string, extention string,
  // code int64, size int64, idx int64, norefer int64, noagent int64, find int64, crawler int64,
  // browser string: what the CSV reader infers from the real files (their "200.0" is an
  // integral decimal, so int64; browser is empty in 2017 files, and an all-empty column is a
  // string).
  static std::shared_ptr<const Schema> schema();
  // schema() with every numeric column kString (EdgarTextStyle::kSecDecimals).
  static std::shared_ptr<const Schema> sec_text_schema();
  // The schema of the batches next() produces, by the text style.
  const std::shared_ptr<const Schema>& output_schema() const { return schema_; }

  // Clears `out` (giving it output_schema()) and fills it with the next up to `max_rows` rows.
  // False, with `out` empty, when all rows were emitted. The rows do not depend on max_rows.
  bool next(Batch& out, size_t max_rows = kDefaultBatchRows);

  int64_t rows_emitted() const { return emitted_; }
  // Rows emitted so far whose key repeats an earlier row's, and those that repeat the whole row.
  int64_t duplicate_key_rows() const { return duplicate_keys_; }
  int64_t exact_duplicate_rows() const { return exact_duplicates_; }

 private:
  struct Row {
    uint32_t ip = 0;       // index into ips_
    int32_t second = 0;    // of the day
    int64_t cik = 0;
    int64_t filer = 0;     // accession: filer-yy-sequence
    int32_t year = 0;
    int32_t sequence = 0;
    uint32_t document = 0;  // extention: a kind and a number
    uint32_t document_number = 0;
    int32_t code = 200;
    int64_t size = -1;     // -1 = NULL
    uint8_t idx = 0, norefer = 0, noagent = 0, find = 0, crawler = 0;
    int8_t browser = -1;   // -1 = NULL
  };

  void make_row(uint64_t row_index, Row& row);
  void emit(const Row& row, Batch& out);

  static constexpr size_t kRecent = 8;  // duplicates copy one of the last kRecent rows

  Options options_;
  std::shared_ptr<const Schema> schema_;
  int64_t day_ = 0;
  int year_ = 2017;
  std::vector<std::string> ips_;
  uint64_t ip_mask_ = 0;
  std::array<Row, kRecent> recent_{};
  size_t recent_count_ = 0;
  int32_t current_second_ = -1;
  uint64_t fresh_in_second_ = 0;
  uint64_t duplicate_threshold_ = 0;
  int64_t emitted_ = 0;
  int64_t duplicate_keys_ = 0;
  int64_t exact_duplicates_ = 0;
  std::string text_;
};

// The header line of the EDGAR files, without the line end.
std::string_view edgar_csv_header();

// Appends the rows of `batch` (from EdgarGenerator, either text style, or read back from an
// EDGAR file with the same columns) as the SEC writes them: numbers as decimals ("200.0",
// "1608552.0"), dates YYYY-MM-DD, times HH:MM:SS, NULL as an empty field, "\n" line ends,
// fields quoted only when they hold a comma, quote or line break. No header.
void append_edgar_csv(const Batch& batch, std::string& out);

}  // namespace idemload::ops
