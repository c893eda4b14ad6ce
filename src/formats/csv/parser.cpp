#include "formats/csv/parser.h"

#include <algorithm>
#include <cstring>

namespace idemload::formats::csv {

void ParsedRecords::clear() {
  fields.clear();
  field_end.clear();
  lines.clear();
  raw.clear();
  status.clear();
  quoted.clear();
  arena.clear();
}

Parser::Parser(char delimiter, int64_t first_line) : delimiter_(delimiter), line_(first_line) {
  std::fill(std::begin(special_), std::end(special_), false);
  special_[static_cast<unsigned char>(delimiter)] = true;
  special_[static_cast<unsigned char>('\n')] = true;
  special_[static_cast<unsigned char>('\r')] = true;
}

size_t Parser::parse(std::string_view data, bool final, size_t max_records, ParsedRecords& out) {
  const char* const base = data.data();
  const size_t size = data.size();
  // Unescaped text is never longer than its source, so reserving the block's size up front
  // keeps views into the arena stable while this call appends to it.
  if (out.arena.capacity() < out.arena.size() + size) out.arena.reserve(out.arena.size() + size);

  size_t pos = 0;
  size_t recorded = 0;
  while (recorded < max_records && pos < size) {
    // Blank lines separate nothing; skip them (they still count as lines).
    if (base[pos] == '\n') {
      ++pos;
      ++line_;
      continue;
    }
    if (base[pos] == '\r') {
      if (pos + 1 == size && !final) break;
      if (pos + 1 < size && base[pos + 1] == '\n') {
        pos += 2;
        ++line_;
        continue;
      }
    }

    const size_t record_start = pos;
    const size_t fields_mark = out.fields.size();
    const size_t arena_mark = out.arena.size();
    int64_t inner_newlines = 0;
    RecordStatus status = RecordStatus::kOk;
    bool incomplete = false;
    size_t record_end = 0;  // end of the record's text, before its terminator

    for (;;) {  // one field per iteration
      if (pos < size && base[pos] == '"') {
        const size_t content = pos + 1;
        size_t scan = content;
        bool escaped = false;
        size_t close = 0;
        bool closed = false;
        for (;;) {
          const void* hit = scan < size ? std::memchr(base + scan, '"', size - scan) : nullptr;
          if (hit == nullptr) break;
          const size_t quote = static_cast<size_t>(static_cast<const char*>(hit) - base);
          if (quote + 1 < size && base[quote + 1] == '"') {
            escaped = true;
            scan = quote + 2;
            continue;
          }
          if (quote + 1 == size && !final) break;  // cannot tell "" from a closing quote yet
          close = quote;
          closed = true;
          break;
        }
        if (!closed) {
          if (!final) {
            incomplete = true;
            break;
          }
          // The file ends inside the quotes: the rest of the file is this field.
          status = RecordStatus::kUnterminated;
          std::string_view rest(base + content, size - content);
          inner_newlines += std::count(rest.begin(), rest.end(), '\n');
          out.fields.push_back(rest);
          out.quoted.push_back(1);
          pos = size;
          record_end = size;
          break;
        }
        std::string_view text(base + content, close - content);
        inner_newlines += std::count(text.begin(), text.end(), '\n');
        if (escaped) {
          const size_t start = out.arena.size();
          for (size_t idx = 0; idx < text.size(); ++idx) {
            out.arena.push_back(text[idx]);
            if (text[idx] == '"') ++idx;  // the second quote of a pair
          }
          text = std::string_view(out.arena.data() + start, out.arena.size() - start);
        }
        pos = close + 1;
        // After the closing quote: a delimiter, a terminator or the end of the data.
        if (pos < size && base[pos] != delimiter_ && base[pos] != '\n' && base[pos] != '\r') {
          // Malformed ("ab"c): keep the text up to the next delimiter or newline, reject later.
          status = RecordStatus::kTextAfterQuote;
          while (pos < size && !special_[static_cast<unsigned char>(base[pos])]) ++pos;
          text = std::string_view(base + content - 1, pos - (content - 1));
        }
        out.fields.push_back(text);
        out.quoted.push_back(1);
      } else {
        const size_t start = pos;
        for (;;) {
          while (pos < size && !special_[static_cast<unsigned char>(base[pos])]) ++pos;
          // A lone CR (not followed by LF) is data.
          if (pos < size && base[pos] == '\r' && pos + 1 < size && base[pos + 1] != '\n' &&
              delimiter_ != '\r') {
            ++pos;
            continue;
          }
          break;
        }
        if (pos + 1 >= size && !final && (pos == size || base[pos] == '\r')) {
          incomplete = true;  // the field, or its CRLF, may continue in the next block
          break;
        }
        out.fields.push_back(std::string_view(base + start, pos - start));
        out.quoted.push_back(0);
      }

      // Where the field stopped: delimiter (next field), terminator, or end of data.
      if (pos == size) {
        if (!final) {
          incomplete = true;
          break;
        }
        record_end = size;
        break;
      }
      const char stop = base[pos];
      if (stop == delimiter_) {
        ++pos;
        continue;
      }
      if (stop == '\n') {
        record_end = pos;
        ++pos;
        break;
      }
      // stop == '\r'
      if (pos + 1 == size) {
        if (!final) {
          incomplete = true;
          break;
        }
        record_end = pos;
        ++pos;
        break;
      }
      record_end = pos;
      pos += base[pos + 1] == '\n' ? 2 : 1;
      break;
    }

    if (incomplete) {
      out.fields.resize(fields_mark);
      out.quoted.resize(fields_mark);
      out.arena.resize(arena_mark);
      return record_start;
    }
    out.field_end.push_back(static_cast<uint32_t>(out.fields.size()));
    out.lines.push_back(line_);
    out.raw.push_back(std::string_view(base + record_start, record_end - record_start));
    out.status.push_back(status);
    line_ += 1 + inner_newlines;
    ++recorded;
  }
  return pos;
}

}  // namespace idemload::formats::csv
