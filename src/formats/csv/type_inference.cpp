#include "formats/csv/type_inference.h"

#include <charconv>

#include "core/value_text.h"
#include "formats/csv/converter.h"

namespace idemload::formats::csv {
namespace {

bool is_true_false(std::string_view text) {
  return text == "true" || text == "false" || text == "TRUE" || text == "FALSE" || text == "True" ||
         text == "False";
}

// "08123", "-007": digits after a leading zero mark an identifier, not a number.
bool has_leading_zero(std::string_view text) {
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) text.remove_prefix(1);
  return text.size() >= 2 && text[0] == '0' && text[1] >= '0' && text[1] <= '9';
}

bool is_number(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return false;
  // from_chars also reads "nan" and "inf"; a column of such words is text, not numbers.
  for (char c : text) {
    if (c >= '0' && c <= '9') return true;
  }
  return false;
}

}  // namespace

void TypeInference::observe(std::string_view text) {
  if (text.empty()) return;
  seen_value_ = true;
  if ((candidates_ & kBoolBit) && !is_true_false(text)) candidates_ &= ~kBoolBit;
  if (candidates_ & (kIntBit | kDoubleBit)) {
    if (has_leading_zero(text)) {
      candidates_ &= ~(kIntBit | kDoubleBit);
    } else {
      if ((candidates_ & kIntBit) && !parse_integral_fast(text)) candidates_ &= ~kIntBit;
      if ((candidates_ & kDoubleBit) && !is_number(text)) candidates_ &= ~kDoubleBit;
    }
  }
  if ((candidates_ & kDateBit) && !parse_date(text)) candidates_ &= ~kDateBit;
  if ((candidates_ & kTimestampBit) && !parse_timestamp(text)) candidates_ &= ~kTimestampBit;
  if ((candidates_ & kTimeBit) && !parse_time(text)) candidates_ &= ~kTimeBit;
}

Type TypeInference::result() const {
  if (!seen_value_) return Type::kString;
  if (candidates_ & kBoolBit) return Type::kBool;
  if (candidates_ & kIntBit) return Type::kInt64;
  if (candidates_ & kDoubleBit) return Type::kDouble;
  if (candidates_ & kDateBit) return Type::kDate;
  if (candidates_ & kTimestampBit) return Type::kTimestamp;
  if (candidates_ & kTimeBit) return Type::kTime;
  return Type::kString;
}

}  // namespace idemload::formats::csv
