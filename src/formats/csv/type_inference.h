// TypeInference: the third CSV stage. Watches the text values of one column over a sample of
// records and names the narrowest type that holds all of them, in the order
//   bool (true/false only) -> int64 (also integral decimals: "200.0") -> double -> date
//   (YYYY-MM-DD) -> timestamp -> time (HH:MM:SS) -> string.
// Empty values are NULL and say nothing; a column with no value at all is a string. Numbers
// written with a leading zero ("08123", a ZIP code) are identifiers: such a column is a string.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/schema.h"

namespace idemload::formats::csv {

class TypeInference {
 public:
  // Takes one value into account.
  void observe(std::string_view text);
  // The narrowest type that holds every value seen so far.
  Type result() const;

 private:
  enum : uint8_t {
    kBoolBit = 1,
    kIntBit = 2,
    kDoubleBit = 4,
    kDateBit = 8,
    kTimestampBit = 16,
    kTimeBit = 32,
    kAllBits = 63,
  };
  uint8_t candidates_ = kAllBits;
  bool seen_value_ = false;
};

}  // namespace idemload::formats::csv
