#include "ops/gen_edgar.h"

#include <charconv>
#include <cmath>
#include <unordered_set>

#include "core/error.h"
#include "core/value_text.h"
#include "ops/sample.h"

namespace idemload::ops {

namespace {

constexpr size_t kColumns = 15;
constexpr const char* kNames[kColumns] = {"ip",        "date", "time",  "zone", "cik",     "accession",
                                          "extention", "code", "size",  "idx",  "norefer", "noagent",
                                          "find",      "crawler", "browser"};
constexpr bool kNumeric[kColumns] = {false, false, false, true, true, false, false, true,
                                     true,  true,  true,  true, true, true,  false};

// Independent streams of choices per row: each salt keys one aspect of a row.
enum Salt : uint64_t { kSaltDuplicate = 1, kSaltPick, kSaltExact, kSaltFields, kSaltIpBase, kSaltIp };

// A small counter-based generator for the many fields of one row.
class RowRandom {
 public:
  RowRandom(uint64_t seed, uint64_t row) : key_(counter_hash(seed, row)) {}
  uint64_t next() { return counter_hash(key_, counter_++); }
  uint64_t below(uint64_t bound) { return next() % bound; }

 private:
  uint64_t key_;
  uint64_t counter_ = 0;
};

uint64_t salted(uint64_t seed, Salt salt) { return counter_hash(seed, salt); }

// Documents requested, with weights per 1000 close to the 2017 files: kinds below kFixedKinds
// are literal names, the rest are built with a number.
struct DocumentKind {
  const char* text;
  int weight;
};
constexpr DocumentKind kDocuments[] = {
    {"-index.htm", 470}, {".txt", 300},      {"-index.html", 10}, {"primary_doc.xml", 25},
    {"edgar.xml", 10},   {"xslF345X03/doc4.xml", 10}, {"doc4.xml", 10}, {"form4.xml", 10},
    {".hdr.sgml", 5},    {"-xbrl.zip", 5},
    // numbered: d123456d8k.htm, ex99-123456.htm, R12.htm, filename1234.pdf
    {"d%d8k.htm", 50},   {"ex99-%.htm", 40}, {"R%.htm", 45},     {"filename%.pdf", 10},
};
constexpr size_t kDocumentKinds = sizeof(kDocuments) / sizeof(kDocuments[0]);
constexpr size_t kFixedKinds = 10;

constexpr int kCodes[][2] = {{200, 800}, {301, 120}, {304, 20}, {206, 15}, {404, 10},
                             {403, 10},  {429, 10},  {503, 10}, {0, 5}};

constexpr const char* kBrowsers[] = {"win", "mie", "lin", "mac", "opr", "fox", "saf", "chr"};

constexpr int64_t kAgents[] = {1193125, 1047469, 1144204, 1104659, 950123, 1213900, 1140361, 1628280, 1171520, 1179110};

char* put_int(char* at, int64_t value) { return std::to_chars(at, at + 24, value).ptr; }

char* put_padded(char* at, int64_t value, int width) {
  char digits[24];
  char* end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  auto length = static_cast<int>(end - digits);
  for (int pad = length; pad < width; ++pad) *at++ = '0';
  for (char* digit = digits; digit != end; ++digit) *at++ = *digit;
  return at;
}

char* put_two(char* at, int64_t value) {
  *at++ = static_cast<char>('0' + value / 10);
  *at++ = static_cast<char>('0' + value % 10);
  return at;
}

// An IP as the SEC publishes it: three octets and the fourth replaced by three letters a-j.
std::string make_ip(uint64_t subnet_hash, uint64_t host) {
  std::string ip = std::to_string(1 + (subnet_hash % 223)) + "." + std::to_string((subnet_hash >> 8) & 0xFF) + "." +
                   std::to_string((subnet_hash >> 16) & 0xFF) + ".";
  ip.push_back(static_cast<char>('a' + host / 100));
  ip.push_back(static_cast<char>('a' + (host / 10) % 10));
  ip.push_back(static_cast<char>('a' + host % 10));
  return ip;
}

}  // namespace

const std::vector<size_t>& EdgarGenerator::key_columns() {
  static const std::vector<size_t> columns = {kIpColumn, kDateColumn, kTimeColumn};
  return columns;
}

std::shared_ptr<const Schema> EdgarGenerator::schema() {
  static const std::shared_ptr<const Schema> typed = [] {
    auto result = std::make_shared<Schema>();
    for (size_t column_idx = 0; column_idx < kColumns; ++column_idx) {
      Type type = kNumeric[column_idx] ? Type::kInt64 : Type::kString;
      if (column_idx == kDateColumn) type = Type::kDate;
      if (column_idx == kTimeColumn) type = Type::kTime;
      result->add(Field{kNames[column_idx], type});
    }
    return result;
  }();
  return typed;
}

std::shared_ptr<const Schema> EdgarGenerator::sec_text_schema() {
  static const std::shared_ptr<const Schema> text = [] {
    std::vector<Field> fields = schema()->fields();
    for (size_t column_idx = 0; column_idx < kColumns; ++column_idx) {
      if (kNumeric[column_idx]) fields[column_idx].type = Type::kString;
    }
    return std::make_shared<Schema>(std::move(fields));
  }();
  return text;
}

EdgarGenerator::EdgarGenerator(Options options) : options_(std::move(options)) {
  if (options_.rows < 0) throw Error::InvalidInput("generator rows must not be negative");
  if (!(options_.duplicate_fraction >= 0 && options_.duplicate_fraction < 1)) {
    throw Error::InvalidInput("generator duplicate fraction must be in [0, 1)");
  }
  auto day = parse_date(options_.date);
  if (!day) throw Error::InvalidInput("generator date '" + options_.date + "' is not YYYY-MM-DD");
  day_ = *day;
  int64_t year = 0;
  unsigned month = 0, day_of_month = 0;
  civil_from_days(day_, year, month, day_of_month);
  year_ = static_cast<int>(year);
  schema_ = options_.text_style == EdgarTextStyle::kTyped ? schema() : sec_text_schema();
  duplicate_threshold_ = static_cast<uint64_t>(std::ldexp(options_.duplicate_fraction, 64));

  // Fresh rows of one second take pool entries (base + k * step) & mask for k = 0, 1, ..., all
  // different while k < pool size: so no fresh row repeats a key, and only the chosen share of
  // rows does. The pool is at least twice the busiest second.
  uint64_t per_second = static_cast<uint64_t>(options_.rows / 86400) + 2;
  uint64_t pool = 1024;
  while (pool < 2 * per_second) pool *= 2;
  ip_mask_ = pool - 1;
  ips_.reserve(pool);
  std::unordered_set<std::string> seen;
  uint64_t ip_seed = salted(options_.seed, kSaltIp);
  for (uint64_t attempt = 0; ips_.size() < pool; ++attempt) {
    // Clients come in subnets of up to eight hosts, as crawler farms do (66.249.66.*).
    uint64_t subnet = counter_hash(ip_seed, attempt / 8);
    uint64_t host = counter_hash(ip_seed ^ 0x5bd1e995, attempt) % 256;
    std::string ip = make_ip(subnet, host);
    if (seen.insert(ip).second) ips_.push_back(std::move(ip));
  }
}

void EdgarGenerator::make_row(uint64_t row_index, Row& row) {
  RowRandom random(salted(options_.seed, kSaltFields), row_index);
  row.cik = random.below(10) < 9 ? 1000000 + static_cast<int64_t>(random.below(800000))
                                 : 100000 + static_cast<int64_t>(random.below(900000));
  row.filer = random.below(2) == 0 ? kAgents[random.below(std::size(kAgents))] : row.cik;
  int year_span = year_ % 100 >= 2 ? year_ % 100 - 1 : 1;
  row.year = random.below(2) == 0 ? year_ % 100 : static_cast<int32_t>(2 + random.below(static_cast<uint64_t>(year_span))) % 100;
  row.sequence = static_cast<int32_t>(random.below(random.below(4) == 0 ? 999999 : 60000));

  auto pick = static_cast<int>(random.below(1000));
  row.document = 0;
  for (size_t kind = 0; kind < kDocumentKinds; ++kind) {
    pick -= kDocuments[kind].weight;
    if (pick < 0) {
      row.document = static_cast<uint32_t>(kind);
      break;
    }
  }
  row.document_number = static_cast<uint32_t>(1 + random.below(row.document == 12 ? 99 : 999999));
  row.idx = (row.document == 0 || row.document == 2) ? 1 : 0;

  pick = static_cast<int>(random.below(1000));
  row.code = 200;
  for (const auto& code : kCodes) {
    pick -= code[1];
    if (pick < 0) {
      row.code = code[0];
      break;
    }
  }
  if (row.code == 304) {
    row.size = -1;  // a Not Modified reply has no body: the SEC leaves the size empty
  } else if (row.code == 301 || row.code == 404 || row.code == 403 || row.code == 0) {
    row.size = 200 + static_cast<int64_t>(random.below(500));
  } else {
    auto digits = static_cast<int>(3 + random.below(5));
    int64_t low = 1;
    for (int digit = 1; digit < digits; ++digit) low *= 10;
    row.size = low + static_cast<int64_t>(random.below(static_cast<uint64_t>(9 * low)));
  }

  bool modern = year_ >= 2007;
  row.norefer = random.below(100) < (modern ? 2u : 30u) ? 1 : 0;
  row.noagent = random.below(100) == 0 ? 1 : 0;
  if (row.norefer) {
    row.find = 0;
  } else {
    auto find_pick = random.below(100);
    row.find = find_pick < 70 ? 10 : find_pick < 80 ? 9 : find_pick < 88 ? 7 : find_pick < 94 ? 1 : find_pick < 97 ? 2 : find_pick < 98 ? 8 : find_pick < 99 ? 3 : 6;
  }
  row.crawler = (row.code == 404 || random.below(50) == 0) ? 1 : 0;
  bool has_browser = random.below(100) < (modern ? 3u : 80u);
  row.browser = has_browser ? static_cast<int8_t>(random.below(std::size(kBrowsers))) : int8_t{-1};
}

bool EdgarGenerator::next(Batch& out, size_t max_rows) {
  if (out.schema_ptr() != schema_) {
    out = Batch(schema_);
  } else {
    out.clear();
  }
  out.source_file.clear();
  auto left = static_cast<uint64_t>(options_.rows - emitted_);
  size_t rows = static_cast<size_t>(std::min<uint64_t>(left, max_rows));
  if (rows == 0) return false;
  out.reserve(rows);

  uint64_t dup_seed = salted(options_.seed, kSaltDuplicate);
  uint64_t pick_seed = salted(options_.seed, kSaltPick);
  uint64_t exact_seed = salted(options_.seed, kSaltExact);
  uint64_t base_seed = salted(options_.seed, kSaltIpBase);
  auto total = static_cast<__uint128_t>(options_.rows);
  for (size_t produced = 0; produced < rows; ++produced) {
    auto row_index = static_cast<uint64_t>(emitted_);
    Row row;
    bool duplicate = recent_count_ > 0 && counter_hash(dup_seed, row_index) < duplicate_threshold_;
    if (duplicate) {
      size_t available = std::min(recent_count_, kRecent);
      size_t back = counter_hash(pick_seed, row_index) % available;  // 0 = the previous row
      const Row& earlier = recent_[(recent_count_ - 1 - back) % kRecent];
      if (counter_hash(exact_seed, row_index) % 4 == 0) {
        row = earlier;
        ++exact_duplicates_;
      } else {
        make_row(row_index, row);
        row.ip = earlier.ip;
        row.second = earlier.second;
      }
      ++duplicate_keys_;
    } else {
      // Time runs through the day in step with the row number.
      auto second = static_cast<int32_t>(static_cast<__uint128_t>(row_index) * 86400 / total);
      if (second != current_second_) {
        current_second_ = second;
        fresh_in_second_ = 0;
      }
      uint64_t base = counter_hash(base_seed, static_cast<uint64_t>(second));
      uint64_t step = counter_hash(base_seed ^ 0x27d4eb2f165667c5ULL, static_cast<uint64_t>(second)) | 1;
      make_row(row_index, row);
      row.ip = static_cast<uint32_t>((base + fresh_in_second_ * step) & ip_mask_);
      row.second = second;
      ++fresh_in_second_;
    }
    emit(row, out);
    recent_[recent_count_ % kRecent] = row;
    ++recent_count_;
    ++emitted_;
  }
  return true;
}

void EdgarGenerator::emit(const Row& row, Batch& out) {
  bool text = options_.text_style == EdgarTextStyle::kSecDecimals;
  char buffer[64];
  auto put_number = [&](size_t column_idx, int64_t value) {
    Column& column = out.column(column_idx);
    if (value < 0 && column_idx == 8) {
      column.append_null();
    } else if (text) {
      char* end = put_int(buffer, value);
      *end++ = '.';
      *end++ = '0';
      column.append_bytes(std::string_view(buffer, static_cast<size_t>(end - buffer)));
    } else {
      column.append_int(value);
    }
  };

  out.column(0).append_bytes(ips_[row.ip]);
  out.column(1).append_int(day_);
  out.column(2).append_int(int64_t{row.second} * 1000000);
  put_number(3, year_ >= 2007 ? 0 : 500);
  put_number(4, row.cik);

  char* end = put_padded(buffer, row.filer, 10);
  *end++ = '-';
  end = put_two(end, row.year);
  *end++ = '-';
  end = put_padded(end, row.sequence, 6);
  out.column(5).append_bytes(std::string_view(buffer, static_cast<size_t>(end - buffer)));

  const char* pattern = kDocuments[row.document].text;
  if (row.document < kFixedKinds) {
    out.column(6).append_bytes(pattern);
  } else {
    end = buffer;
    for (const char* at = pattern; *at != '\0'; ++at) {
      if (*at == '%') {
        end = put_int(end, row.document_number);
      } else {
        *end++ = *at;
      }
    }
    out.column(6).append_bytes(std::string_view(buffer, static_cast<size_t>(end - buffer)));
  }

  put_number(7, row.code);
  put_number(8, row.size);
  put_number(9, row.idx);
  put_number(10, row.norefer);
  put_number(11, row.noagent);
  put_number(12, row.find);
  put_number(13, row.crawler);
  if (row.browser < 0) {
    out.column(14).append_null();
  } else {
    out.column(14).append_bytes(kBrowsers[row.browser]);
  }
}

std::string_view edgar_csv_header() {
  return "ip,date,time,zone,cik,accession,extention,code,size,idx,norefer,noagent,find,crawler,browser";
}

namespace {

void append_field_text(std::string_view text, std::string& out) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(text);
    return;
  }
  out.push_back('"');
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void append_edgar_value(const Column& column, size_t row, std::string& out) {
  if (column.is_null(row)) return;
  char buffer[40];
  switch (column.type()) {
    case Type::kInt64:
    case Type::kBool: {
      char* end = put_int(buffer, column.int_at(row));
      out.append(buffer, end);
      out.append(".0");
      return;
    }
    case Type::kDate: {
      int64_t year = 0;
      unsigned month = 0, day = 0;
      civil_from_days(column.int_at(row), year, month, day);
      char* end = put_padded(buffer, year, 4);
      *end++ = '-';
      end = put_two(end, month);
      *end++ = '-';
      end = put_two(end, day);
      out.append(buffer, end);
      return;
    }
    case Type::kTime: {
      int64_t micros = column.int_at(row);
      if (micros % 1000000 != 0) break;  // not an EDGAR time: the canonical text below
      int64_t seconds = micros / 1000000;
      char* end = put_two(buffer, seconds / 3600);
      *end++ = ':';
      end = put_two(end, (seconds / 60) % 60);
      *end++ = ':';
      end = put_two(end, seconds % 60);
      out.append(buffer, end);
      return;
    }
    case Type::kDouble: {
      double value = column.double_at(row);
      if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 1e15) {
        char* end = put_int(buffer, static_cast<int64_t>(value));
        out.append(buffer, end);
        out.append(".0");
        return;
      }
      out.append(format_double(value));
      return;
    }
    case Type::kString:
    case Type::kBinary:
    case Type::kDecimal: append_field_text(column.bytes_at(row), out); return;
    default: break;
  }
  std::string text;
  append_value_text(column, row, text);
  append_field_text(text, out);
}

}  // namespace

void append_edgar_csv(const Batch& batch, std::string& out) {
  size_t rows = batch.num_rows();
  size_t columns = batch.num_columns();
  for (size_t row = 0; row < rows; ++row) {
    for (size_t column_idx = 0; column_idx < columns; ++column_idx) {
      if (column_idx != 0) out.push_back(',');
      append_edgar_value(batch.column(column_idx), row, out);
    }
    out.push_back('\n');
  }
}

}  // namespace idemload::ops
