// Text forms of values: parsing text into a column's type (CSV, database text results) and
// formatting a value as text (CSV output, database text protocols, messages). One canonical
// form per type: dates YYYY-MM-DD, timestamps YYYY-MM-DD HH:MM:SS[.ffffff] (UTC), times
// HH:MM:SS[.ffffff], doubles in shortest round-trip form, booleans true/false.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/column.h"

namespace idemload {

// Each returns nullopt when `text` is not a valid value of the type (no partial parses).
std::optional<int64_t> parse_int64(std::string_view text);
// Also accepts an integral decimal such as "200.0" or "1.6e3" when it is exactly an integer
// within range (the EDGAR files write integers that way).
std::optional<int64_t> parse_integral(std::string_view text);
std::optional<double> parse_double(std::string_view text);
std::optional<bool> parse_bool(std::string_view text);
std::optional<int64_t> parse_date(std::string_view text);       // days since 1970-01-01
std::optional<int64_t> parse_timestamp(std::string_view text);  // microseconds since epoch
std::optional<int64_t> parse_time(std::string_view text);       // microseconds since midnight
// parse_date and parse_timestamp that also take the years of other widths that format_date
// and format_timestamp write ("12345-12-31", "-005-03-01"): for text a database returns of
// values idemload wrote (SQLite keeps dates as text), not for guessing a CSV column's type.
std::optional<int64_t> parse_wide_date(std::string_view text);
std::optional<int64_t> parse_wide_timestamp(std::string_view text);
// A canonical decimal text ("-12.30" stays "-12.30"; "+1" -> "1"; ".5" -> "0.5").
std::optional<std::string> parse_decimal(std::string_view text);

int64_t days_from_civil(int64_t year, unsigned month, unsigned day);
void civil_from_days(int64_t days, int64_t& year, unsigned& month, unsigned& day);

std::string format_date(int64_t days);
std::string format_timestamp(int64_t micros);
std::string format_time(int64_t micros);
std::string format_double(double value);

// A duration as milliseconds: "500ms", "30s", "5m", "1h", "1d", or plain seconds ("2.5").
// nullopt when it does not parse or is negative.
std::optional<int64_t> parse_duration_ms(std::string_view text);

// Appends the text form of row `row` of `column` (nothing for NULL) to `out`.
void append_value_text(const Column& column, size_t row, std::string& out);
std::string value_text(const Column& column, size_t row);

// Appends `text` parsed as `type` to `column`; false (nothing appended) when it does not parse.
// Empty text is NULL. Dates and timestamps are read wide (parse_wide_date): this reads what
// databases return.
bool append_parsed(Column& column, std::string_view text);

}  // namespace idemload
