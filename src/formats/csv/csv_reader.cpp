#include "formats/csv/csv_reader.h"

#include <sys/stat.h>

#include <algorithm>

#include <fmt/format.h>

#include "core/error.h"
#include "formats/csv/chunker.h"
#include "formats/csv/converter.h"
#include "formats/csv/parser.h"
#include "formats/csv/type_inference.h"

namespace idemload::formats::csv {
namespace {

// Records parsed per step while sampling for type inference.
constexpr size_t kInferStepRecords = 4096;

// The CSV reader: chunker -> parser -> converter, with the schema fixed at open by the header
// and type inference. Choices, documented here because loaders depend on them:
//  - An empty field is NULL for every type, quoted ("") or not, so that a file that quotes every
//    field reads the same values as one that quotes none.
//  - Only projected columns are converted; a bad value in a column that is not read is no reject.
//  - Rows that are rejected are not delivered; their lines are told to options.on_reject.
class CsvReader final : public BatchReader {
 public:
  CsvReader(const std::string& path, const SourceOptions& options)
      : path_(path), options_(options), chunker_(path), parser_(options.delimiter, 1) {
    options_.batch_rows = std::max<size_t>(1, options_.batch_rows);
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0 && st.st_size == 0) {
      throw Error::InvalidInput("empty file, no header", {.file = path_});
    }
    chunker_.fill();
    // A UTF-8 byte order mark is not part of the first column's name.
    if (chunker_.available().substr(0, 3) == "\xEF\xBB\xBF") chunker_.consume(3);
    read_header();
    decide_types();
  }

  const std::shared_ptr<const Schema>& schema() const override { return schema_; }
  int64_t rows_read() const override { return rows_read_; }
  int64_t rows_rejected() const override { return rows_rejected_; }

  bool next(Batch& out) override {
    if (out.schema_ptr() != schema_) {
      out = Batch(schema_);
    } else {
      out.clear();
    }
    out.source_file = path_;
    if (done_) return false;
    const size_t want = options_.batch_rows;
    out.reserve(want);
    out.source_rows.reserve(want);
    while (out.num_rows() < want) {
      if (read_records(want - out.num_rows()) == 0) {
        done_ = true;
        break;
      }
      append_records(out);
      chunker_.consume(pending_consume_);
    }
    rows_read_ += static_cast<int64_t>(out.num_rows());
    return out.num_rows() > 0;
  }

 private:
  // Parses up to `max` records into records_, reading more of the file as needed. Returns how
  // many (0 at the end of the file). The caller consumes pending_consume_ bytes afterwards.
  size_t read_records(size_t max) {
    records_.clear();
    for (;;) {
      const size_t used = parser_.parse(chunker_.available(), chunker_.at_eof(), max, records_);
      if (!records_.lines.empty()) {
        pending_consume_ = used;
        return records_.size();
      }
      chunker_.consume(used);
      if (chunker_.at_eof()) return 0;
      chunker_.fill();
    }
  }

  void read_header() {
    if (read_records(1) == 0) throw Error::InvalidInput("empty file, no header (only blank lines)", {.file = path_});
    if (records_.status[0] != RecordStatus::kOk) {
      throw Error::InvalidInput(fmt::format("malformed header: {}", status_reason(records_.status[0])),
                                {.file = path_, .row = records_.lines[0]});
    }
    if (!options_.header) {
      // No header: columns are named column_1, column_2, ... and the first record is data.
      for (size_t idx = 0; idx < records_.field_count(0); ++idx) names_.push_back(fmt::format("column_{}", idx + 1));
      parser_.set_next_line(records_.lines[0]);
      data_offset_ = chunker_.offset();
      data_line_ = records_.lines[0];
      return;
    }
    for (size_t idx = 0; idx < records_.field_count(0); ++idx) {
      names_.emplace_back(records_.fields[idx]);
    }
    chunker_.consume(pending_consume_);
    for (size_t idx = 0; idx < names_.size(); ++idx) {
      if (names_[idx].empty()) {
        throw Error::InvalidInput(fmt::format("the header's column {} has no name", idx + 1),
                                  {.file = path_, .row = records_.lines[0]});
      }
      for (size_t other = 0; other < idx; ++other) {
        if (names_[other] == names_[idx]) {
          throw Error::InvalidInput(fmt::format("the header names column '{}' twice (columns {} and {})", names_[idx],
                                                other + 1, idx + 1),
                                    {.file = path_, .row = records_.lines[0], .column = names_[idx]});
        }
      }
    }
    data_offset_ = chunker_.offset();
    data_line_ = parser_.next_line();
  }

  // Types from options.column_types, the others inferred from the first infer_rows records;
  // then the schema of the projected columns.
  void decide_types() {
    std::vector<Field> fields;
    for (const auto& name : names_) fields.push_back(Field{.name = name, .type = Type::kString});
    Schema file_schema(fields);
    std::vector<bool> fixed(names_.size(), false);
    for (const auto& [name, type] : options_.column_types) {
      auto idx = file_schema.index_of(name);
      if (!idx) {
        throw Error::InvalidInput(fmt::format("type given for column '{}', which the file does not have (columns: {})",
                                              name, fmt::join(names_, ", ")),
                                  {.file = path_, .column = name});
      }
      fields[*idx].type = type;
      fixed[*idx] = true;
    }
    if (options_.infer_rows > 0 && std::count(fixed.begin(), fixed.end(), false) > 0) {
      std::vector<TypeInference> inference(names_.size());
      size_t sampled = 0;
      while (sampled < options_.infer_rows) {
        const size_t got = read_records(std::min(kInferStepRecords, options_.infer_rows - sampled));
        if (got == 0) break;
        for (size_t record = 0; record < got; ++record) {
          if (records_.status[record] != RecordStatus::kOk || records_.field_count(record) != names_.size()) continue;
          const std::string_view* cells = records_.fields.data() + records_.field_begin(record);
          for (size_t col = 0; col < names_.size(); ++col) {
            if (!fixed[col]) inference[col].observe(cells[col]);
          }
        }
        sampled += got;
        chunker_.consume(pending_consume_);
      }
      for (size_t col = 0; col < names_.size(); ++col) {
        if (!fixed[col]) fields[col].type = inference[col].result();
      }
      // Read the sampled records again, now as data.
      chunker_.seek(data_offset_);
      parser_.set_next_line(data_line_);
    }
    Schema typed(fields);
    if (options_.columns.empty()) {
      for (size_t idx = 0; idx < names_.size(); ++idx) projection_.push_back(idx);
    } else {
      projection_ = typed.indexes_of(options_.columns, "column", path_);
    }
    schema_ = std::make_shared<const Schema>(typed.select(projection_));
  }

  static std::string status_reason(RecordStatus status) {
    switch (status) {
      case RecordStatus::kOk: return "ok";
      case RecordStatus::kTextAfterQuote: return "text after a closing quote";
      case RecordStatus::kUnterminated: return "quoted field not terminated before the end of the file";
    }
    return "malformed";
  }

  void reject(size_t record, std::string column, std::string reason) {
    ++rows_rejected_;
    if (options_.on_reject) {
      options_.on_reject(Reject{.file = path_,
                                .line = records_.lines[record],
                                .column = std::move(column),
                                .reason = std::move(reason),
                                .raw = std::string(records_.raw[record])});
    }
  }

  // Converts records_ column by column and appends them to `out`; tells the bad ones to
  // on_reject, in line order.
  void append_records(Batch& out) {
    const size_t field_count = names_.size();
    good_.clear();
    for (size_t record = 0; record < records_.size(); ++record) {
      if (records_.status[record] == RecordStatus::kOk && records_.field_count(record) == field_count) {
        good_.push_back(static_cast<uint32_t>(record));
      }
    }
    const size_t rows = good_.size();
    const size_t base = out.num_rows();
    cells_.resize(rows);
    bad_column_.clear();
    for (size_t out_col = 0; rows > 0 && out_col < projection_.size(); ++out_col) {
      const size_t file_col = projection_[out_col];
      for (size_t row = 0; row < rows; ++row) {
        cells_[row] = records_.fields[records_.field_begin(good_[row]) + file_col];
      }
      bad_rows_.clear();
      convert_cells(cells_.data(), rows, out.column(out_col), bad_rows_);
      if (bad_rows_.empty()) continue;
      if (bad_column_.empty()) bad_column_.assign(rows, -1);
      for (uint32_t row : bad_rows_) {
        if (bad_column_[row] < 0) bad_column_[row] = static_cast<int32_t>(out_col);
      }
    }
    for (size_t row = 0; row < rows; ++row) out.source_rows.push_back(records_.lines[good_[row]]);
    if (rows == records_.size() && bad_column_.empty()) return;  // the common case: nothing bad

    size_t row = 0;  // index into good_
    for (size_t record = 0; record < records_.size(); ++record) {
      if (row < rows && good_[row] == record) {
        if (!bad_column_.empty() && bad_column_[row] >= 0) {
          const auto out_col = static_cast<size_t>(bad_column_[row]);
          const Field& field = schema_->field(out_col);
          const std::string_view text = records_.fields[records_.field_begin(record) + projection_[out_col]];
          reject(record, field.name, fmt::format("column {}: {}", field.name, describe_bad_value(field.type, text)));
        }
        ++row;
      } else if (records_.status[record] != RecordStatus::kOk) {
        reject(record, "", status_reason(records_.status[record]));
      } else {
        reject(record, "", fmt::format("expected {} fields, found {}", field_count, records_.field_count(record)));
      }
    }
    if (bad_column_.empty()) return;
    drop_.assign(rows, 0);
    for (size_t idx = 0; idx < rows; ++idx) drop_[idx] = bad_column_[idx] >= 0 ? 1 : 0;
    for (size_t out_col = 0; out_col < projection_.size(); ++out_col) drop_rows(out.column(out_col), base, drop_);
    size_t kept = base;
    for (size_t idx = 0; idx < rows; ++idx) {
      if (!drop_[idx]) out.source_rows[kept++] = out.source_rows[base + idx];
    }
    out.source_rows.resize(kept);
  }

  std::string path_;
  SourceOptions options_;
  Chunker chunker_;
  Parser parser_;
  ParsedRecords records_;
  size_t pending_consume_ = 0;
  std::vector<std::string> names_;
  std::vector<size_t> projection_;  // file column of each schema column
  std::shared_ptr<const Schema> schema_;
  uint64_t data_offset_ = 0;  // first byte after the header
  int64_t data_line_ = 0;     // line after the header
  bool done_ = false;
  int64_t rows_read_ = 0;
  int64_t rows_rejected_ = 0;
  // Scratch, reused from batch to batch.
  std::vector<uint32_t> good_;
  std::vector<std::string_view> cells_;
  std::vector<uint32_t> bad_rows_;
  std::vector<int32_t> bad_column_;
  std::vector<uint8_t> drop_;
};

}  // namespace

std::unique_ptr<BatchReader> open_csv(const std::string& path, const SourceOptions& options) {
  return std::make_unique<CsvReader>(path, options);
}

}  // namespace idemload::formats::csv
