#include "formats/parquet/value_conversion.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/error.h"

namespace idemload::formats::parquet {

namespace {

__extension__ typedef __int128 int128;
__extension__ typedef unsigned __int128 uint128;

// Byte strings up to this long are copied with one fixed-size copy where there is room.
constexpr size_t kShortValue = 32;

constexpr int64_t kMicrosPerDay = 86400LL * 1000000LL;
constexpr int64_t kJulianEpochDay = 2440588;  // Julian day number of 1970-01-01

template <typename T>
T load(const uint8_t* data) {
  T value;
  std::memcpy(&value, data, sizeof(T));
  return value;
}

int64_t floor_div(int64_t value, int64_t divisor) {
  int64_t quotient = value / divisor;
  if ((value % divisor != 0) && (value < 0)) --quotient;
  return quotient;
}

[[noreturn]] void out_of_range(const std::string& what) { throw Error::NotSupported(what); }

[[noreturn]] void bad_dictionary_index(uint32_t index, size_t dict_rows) {
  throw Error::Corruption(
      {}, fmt::format("dictionary index {} out of range (the dictionary has {} values)", index,
                      dict_rows));
}

int64_t scale_up(int64_t value, int64_t factor) {
  int64_t result;
  if (__builtin_mul_overflow(value, factor, &result))
    out_of_range(fmt::format("value {} is outside the supported range of timestamps", value));
  return result;
}

// Appends to an int64 vector: dense values converted by `fn`, zeros under NULLs.
template <typename Fn>
void scatter_ints(const DenseValues& dense, const uint8_t* valid, size_t rows,
                  std::vector<int64_t>& ints, Fn fn) {
  size_t base = ints.size();
  ints.resize(base + rows);
  int64_t* dst = ints.data() + base;
  const uint8_t* src = dense.fixed;
  const size_t width = dense.width;
  if (valid == nullptr) {
    for (size_t row = 0; row < rows; ++row) dst[row] = fn(src + row * width);
    return;
  }
  size_t next = 0;
  for (size_t row = 0; row < rows; ++row) {
    if (valid[row]) {
      dst[row] = fn(src + next * width);
      ++next;
    } else {
      dst[row] = 0;
    }
  }
}

template <typename Fn>
void scatter_doubles(const DenseValues& dense, const uint8_t* valid, size_t rows,
                     std::vector<double>& doubles, Fn fn) {
  size_t base = doubles.size();
  doubles.resize(base + rows);
  double* dst = doubles.data() + base;
  if (valid == nullptr) {
    for (size_t row = 0; row < rows; ++row) dst[row] = fn(dense, row);
    return;
  }
  size_t next = 0;
  for (size_t row = 0; row < rows; ++row) {
    if (valid[row]) {
      dst[row] = fn(dense, next);
      ++next;
    } else {
      dst[row] = 0;
    }
  }
}

// Appends byte strings produced by `fn(out_bytes, dense_index)`.
template <typename Fn>
void scatter_bytes(const uint8_t* valid, size_t rows, Column& out, Fn fn) {
  auto& offsets = out.offsets();
  auto& bytes = out.bytes();
  size_t base = offsets.size();
  offsets.resize(base + rows);
  uint64_t* dst = offsets.data() + base;
  size_t next = 0;
  for (size_t row = 0; row < rows; ++row) {
    if (valid == nullptr || valid[row]) fn(bytes, next++);
    dst[row] = bytes.size();
  }
}

void append_validity(const uint8_t* valid, size_t rows, Column& out) {
  auto& validity = out.validity();
  if (valid == nullptr) {
    validity.resize(validity.size() + rows, 1);
  } else {
    validity.insert(validity.end(), valid, valid + rows);
  }
}

void append_unsigned_digits(uint128 magnitude, bool negative, int scale, std::string& out) {
  char digits[48];
  int count = 0;
  do {
    digits[count++] = static_cast<char>('0' + static_cast<int>(magnitude % 10));
    magnitude /= 10;
  } while (magnitude != 0);
  if (negative) out.push_back('-');
  // digits[] holds the number reversed; pad so there is at least one digit before the point.
  int whole = count - scale;
  if (whole <= 0) {
    out.push_back('0');
    if (scale > 0) out.push_back('.');
    for (int idx = 0; idx < -whole; ++idx) out.push_back('0');
    for (int idx = count - 1; idx >= 0; --idx) out.push_back(digits[idx]);
    return;
  }
  for (int idx = count - 1; idx >= 0; --idx) {
    out.push_back(digits[idx]);
    if (idx == scale && scale > 0) out.push_back('.');
  }
}

// Decimal text of a wide big-endian two's-complement integer (more than 16 significant bytes):
// schoolbook division by 10 over the magnitude's bytes.
void append_wide_decimal(const uint8_t* data, size_t size, int scale, std::string& out) {
  bool negative = (data[0] & 0x80) != 0;
  std::vector<uint8_t> magnitude(data, data + size);
  if (negative) {  // two's complement negate
    for (auto& byte : magnitude) byte = static_cast<uint8_t>(~byte);
    for (size_t idx = size; idx-- > 0;) {
      if (++magnitude[idx] != 0) break;
    }
  }
  std::string reversed;
  bool zero = false;
  while (!zero) {
    unsigned remainder = 0;
    zero = true;
    for (auto& byte : magnitude) {
      unsigned current = (remainder << 8) | byte;
      byte = static_cast<uint8_t>(current / 10);
      remainder = current % 10;
      if (byte != 0) zero = false;
    }
    reversed.push_back(static_cast<char>('0' + remainder));
  }
  while (static_cast<int>(reversed.size()) <= scale) reversed.push_back('0');
  if (negative) out.push_back('-');
  for (size_t idx = reversed.size(); idx-- > 0;) {
    out.push_back(reversed[idx]);
    if (static_cast<int>(idx) == scale && scale > 0) out.push_back('.');
  }
}

}  // namespace

void append_decimal_text(int64_t unscaled, int scale, std::string& out) {
  bool negative = unscaled < 0;
  uint128 magnitude = negative ? static_cast<uint128>(-static_cast<int128>(unscaled))
                               : static_cast<uint128>(unscaled);
  append_unsigned_digits(magnitude, negative, scale, out);
}

void append_decimal_text(const uint8_t* data, size_t size, int scale, std::string& out) {
  if (size == 0) {
    append_unsigned_digits(0, false, scale, out);
    return;
  }
  // Drop leading sign-extension bytes so that most values fit 128 bits.
  while (size > 1 && ((data[0] == 0x00 && (data[1] & 0x80) == 0) ||
                      (data[0] == 0xff && (data[1] & 0x80) != 0))) {
    ++data;
    --size;
  }
  if (size > 16) return append_wide_decimal(data, size, scale, out);
  int128 value = (data[0] & 0x80) ? -1 : 0;
  for (size_t idx = 0; idx < size; ++idx)
    value = static_cast<int128>((static_cast<uint128>(value) << 8) | data[idx]);
  bool negative = value < 0;
  uint128 magnitude = negative ? static_cast<uint128>(0) - static_cast<uint128>(value)
                               : static_cast<uint128>(value);
  append_unsigned_digits(magnitude, negative, scale, out);
}

double float16_to_double(uint16_t bits) {
  int sign = (bits >> 15) & 1;
  int exponent = (bits >> 10) & 0x1f;
  int mantissa = bits & 0x3ff;
  double value;
  if (exponent == 0) {
    value = std::ldexp(static_cast<double>(mantissa), -24);
  } else if (exponent == 31) {
    value = mantissa == 0 ? std::numeric_limits<double>::infinity()
                          : std::numeric_limits<double>::quiet_NaN();
  } else {
    value = std::ldexp(static_cast<double>(mantissa | 0x400), exponent - 25);
  }
  return sign ? -value : value;
}

void convert_append(const ColumnDescriptor& column, const DenseValues& dense, const uint8_t* valid,
                    size_t rows, Column& out) {
  append_validity(valid, rows, out);
  auto& ints = out.ints();
  switch (column.conversion) {
    case Conversion::kBool:
      return scatter_ints(dense, valid, rows, ints,
                          [](const uint8_t* p) -> int64_t { return *p != 0; });
    case Conversion::kInt32:
    case Conversion::kDate32:
      return scatter_ints(dense, valid, rows, ints,
                          [](const uint8_t* p) -> int64_t { return load<int32_t>(p); });
    case Conversion::kUInt32:
      return scatter_ints(dense, valid, rows, ints,
                          [](const uint8_t* p) -> int64_t { return load<uint32_t>(p); });
    case Conversion::kInt64:
    case Conversion::kTimestampMicros64:
    case Conversion::kTimeMicros64:
      return scatter_ints(dense, valid, rows, ints,
                          [](const uint8_t* p) { return load<int64_t>(p); });
    case Conversion::kUInt64:
      return scatter_ints(dense, valid, rows, ints, [&](const uint8_t* p) {
        uint64_t value = load<uint64_t>(p);
        if (value > static_cast<uint64_t>(INT64_MAX)) {
          out_of_range(fmt::format("UINT64 value {} in column {} is above the largest int64", value,
                                   column.name));
        }
        return static_cast<int64_t>(value);
      });
    case Conversion::kTimeMillis32:
      return scatter_ints(dense, valid, rows, ints,
                          [](const uint8_t* p) { return int64_t{load<int32_t>(p)} * 1000; });
    case Conversion::kTimestampMillis64:
      return scatter_ints(dense, valid, rows, ints,
                          [](const uint8_t* p) { return scale_up(load<int64_t>(p), 1000); });
    case Conversion::kTimestampNanos64:
    case Conversion::kTimeNanos64:
      return scatter_ints(dense, valid, rows, ints,
                          [](const uint8_t* p) { return floor_div(load<int64_t>(p), 1000); });
    case Conversion::kTimestampInt96:
      // Julian day and nanoseconds of the day. Spark computes them from microseconds with
      // wrapping 64-bit arithmetic (a year-290000 value overflows on the way in), so undo it
      // with the same wrapping arithmetic: every value Spark can write comes back exactly.
      return scatter_ints(dense, valid, rows, ints, [](const uint8_t* p) {
        int64_t nanos = load<int64_t>(p);
        auto julian = static_cast<uint64_t>(int64_t{load<int32_t>(p + 8)});
        uint64_t micros =
            julian * static_cast<uint64_t>(kMicrosPerDay) + static_cast<uint64_t>(nanos / 1000) -
            static_cast<uint64_t>(kJulianEpochDay) * static_cast<uint64_t>(kMicrosPerDay);
        return static_cast<int64_t>(micros);
      });
    case Conversion::kFloat:
      return scatter_doubles(dense, valid, rows, out.doubles(),
                             [](const DenseValues& d, size_t idx) {
                               return static_cast<double>(load<float>(d.fixed + idx * 4));
                             });
    case Conversion::kDouble:
      return scatter_doubles(
          dense, valid, rows, out.doubles(),
          [](const DenseValues& d, size_t idx) { return load<double>(d.fixed + idx * 8); });
    case Conversion::kFloat16:
      return scatter_doubles(
          dense, valid, rows, out.doubles(), [](const DenseValues& d, size_t idx) {
            const auto* bytes = reinterpret_cast<const uint8_t*>(d.views[idx].data());
            return float16_to_double(static_cast<uint16_t>(bytes[0] | (bytes[1] << 8)));
          });
    case Conversion::kDecimal32:
      return scatter_bytes(valid, rows, out, [&](std::string& bytes, size_t idx) {
        append_decimal_text(load<int32_t>(dense.fixed + idx * 4), column.field.scale, bytes);
      });
    case Conversion::kDecimal64:
      return scatter_bytes(valid, rows, out, [&](std::string& bytes, size_t idx) {
        append_decimal_text(load<int64_t>(dense.fixed + idx * 8), column.field.scale, bytes);
      });
    case Conversion::kDecimalBytes:
      return scatter_bytes(valid, rows, out, [&](std::string& bytes, size_t idx) {
        const auto& view = dense.views[idx];
        append_decimal_text(reinterpret_cast<const uint8_t*>(view.data()), view.size(),
                            column.field.scale, bytes);
      });
    case Conversion::kBytes:
      return scatter_bytes(valid, rows, out,
                           [&](std::string& bytes, size_t idx) { bytes.append(dense.views[idx]); });
  }
}

void gather_append(const Column& dictionary, const uint32_t* indices, const uint8_t* valid,
                   size_t rows, Column& out) {
  append_validity(valid, rows, out);
  // Each index is checked as it is used: a compare that is never taken costs next to nothing
  // in these loops, a separate pass over the indices would not.
  const size_t dict_rows = dictionary.size();
  switch (dictionary.storage()) {
    case Storage::kInts: {
      auto& ints = out.ints();
      size_t base = ints.size();
      ints.resize(base + rows);
      int64_t* dst = ints.data() + base;
      const int64_t* dict = dictionary.ints().data();
      if (valid == nullptr) {
        for (size_t row = 0; row < rows; ++row) {
          uint32_t index = indices[row];
          if (index >= dict_rows) bad_dictionary_index(index, dict_rows);
          dst[row] = dict[index];
        }
        return;
      }
      size_t next = 0;
      for (size_t row = 0; row < rows; ++row) {
        int64_t value = 0;
        if (valid[row]) {
          uint32_t index = indices[next++];
          if (index >= dict_rows) bad_dictionary_index(index, dict_rows);
          value = dict[index];
        }
        dst[row] = value;
      }
      return;
    }
    case Storage::kDoubles: {
      auto& doubles = out.doubles();
      size_t base = doubles.size();
      doubles.resize(base + rows);
      double* dst = doubles.data() + base;
      const double* dict = dictionary.doubles().data();
      size_t next = 0;
      for (size_t row = 0; row < rows; ++row) {
        double value = 0;
        if (valid == nullptr || valid[row]) {
          uint32_t index = indices[next++];
          if (index >= dict_rows) bad_dictionary_index(index, dict_rows);
          value = dict[index];
        }
        dst[row] = value;
      }
      return;
    }
    case Storage::kBytes: {
      const uint64_t* dict_offsets = dictionary.offsets().data();
      const char* dict_bytes = dictionary.bytes().data();
      const size_t dict_size = dictionary.bytes().size();
      // Pass 1: each row's end offset (and so the total); pass 2: the bytes.
      auto& offsets = out.offsets();
      size_t base = offsets.size();
      offsets.resize(base + rows);
      uint64_t* row_end = offsets.data() + base;
      auto& bytes = out.bytes();
      const uint64_t start = bytes.size();
      uint64_t end = start;
      size_t values = 0;
      for (size_t row = 0; row < rows; ++row) {
        if (valid == nullptr || valid[row]) {
          uint32_t index = indices[values++];
          if (index >= dict_rows) bad_dictionary_index(index, dict_rows);
          end += dict_offsets[index + 1] - dict_offsets[index];
        }
        row_end[row] = end;
      }
      // The output gets kShortValue bytes of slack so that short entries are copied whole (a
      // fixed-size copy is a few vector moves; a call to memcpy per value is not), then is cut
      // back. Entries too close to the end of the dictionary's bytes are copied exactly.
      bytes.resize(end + kShortValue);
      char* dst = bytes.data() + start;
      for (size_t idx = 0; idx < values; ++idx) {
        uint32_t index = indices[idx];
        uint64_t from = dict_offsets[index];
        uint64_t length = dict_offsets[index + 1] - from;
        if (length <= kShortValue && dict_size - from >= kShortValue) {
          std::memcpy(dst, dict_bytes + from, kShortValue);
        } else {
          std::memcpy(dst, dict_bytes + from, length);
        }
        dst += length;
      }
      bytes.resize(end);
      return;
    }
  }
}

void append_range(const Column& src, size_t begin, size_t count, Column& out) {
  const auto& validity = src.validity();
  out.validity().insert(out.validity().end(), validity.begin() + static_cast<ptrdiff_t>(begin),
                        validity.begin() + static_cast<ptrdiff_t>(begin + count));
  switch (src.storage()) {
    case Storage::kInts:
      out.ints().insert(out.ints().end(), src.ints().begin() + static_cast<ptrdiff_t>(begin),
                        src.ints().begin() + static_cast<ptrdiff_t>(begin + count));
      return;
    case Storage::kDoubles:
      out.doubles().insert(out.doubles().end(),
                           src.doubles().begin() + static_cast<ptrdiff_t>(begin),
                           src.doubles().begin() + static_cast<ptrdiff_t>(begin + count));
      return;
    case Storage::kBytes: {
      const auto& src_offsets = src.offsets();
      uint64_t first = src_offsets[begin];
      uint64_t last = src_offsets[begin + count];
      auto& bytes = out.bytes();
      uint64_t shift = bytes.size();
      bytes.append(src.bytes(), first, last - first);
      auto& offsets = out.offsets();
      size_t base = offsets.size();
      offsets.resize(base + count);
      for (size_t idx = 0; idx < count; ++idx)
        offsets[base + idx] = src_offsets[begin + idx + 1] - first + shift;
      return;
    }
  }
}

}  // namespace idemload::formats::parquet
