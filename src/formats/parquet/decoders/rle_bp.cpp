#include "formats/parquet/decoders/rle_bp.h"

namespace idemload::formats::parquet {

bool RleBpDecoder::next_run() {
  // Zero-length runs are legal but useless; loop past them.
  while (pos_ < size_) {
    uint64_t header = 0;
    if (!read_uleb128(data_, size_, pos_, header)) return false;
    uint64_t count = header >> 1;
    if (count > (uint64_t{1} << 31)) return false;  // no page holds that many values
    if (header & 1) {
      uint64_t bytes = count * static_cast<uint64_t>(bit_width_);
      uint64_t available = size_ - pos_;
      uint64_t values = count * 8;
      if (bytes > available) {
        // A truncated final run: keep the values whose bits are all present.
        if (bit_width_ == 0) return false;
        values = available * 8 / static_cast<uint64_t>(bit_width_);
        bytes = available;
      }
      is_rle_ = false;
      run_bit_pos_ = static_cast<uint64_t>(pos_) * 8;
      pos_ += static_cast<size_t>(bytes);
      run_left_ = values;
    } else {
      size_t value_bytes = static_cast<size_t>((bit_width_ + 7) / 8);
      if (size_ - pos_ < value_bytes) return false;
      uint64_t value = 0;
      for (size_t idx = 0; idx < value_bytes; ++idx)
        value |= static_cast<uint64_t>(data_[pos_ + idx]) << (8 * idx);
      pos_ += value_bytes;
      is_rle_ = true;
      rle_value_ = value;
      run_left_ = count;
    }
    if (run_left_ > 0) return true;
  }
  return false;
}

namespace {

void write_uleb128(uint64_t value, std::string& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

size_t run_length(const uint32_t* values, size_t count, size_t start) {
  size_t end = start + 1;
  while (end < count && values[end] == values[start]) ++end;
  return end - start;
}

}  // namespace

void rle_bp_encode(const uint32_t* values, size_t count, int bit_width, std::string& out) {
  const size_t value_bytes = static_cast<size_t>((bit_width + 7) / 8);
  size_t pos = 0;
  while (pos < count) {
    size_t run = run_length(values, count, pos);
    if (run >= 8 || pos + run == count) {
      write_uleb128(static_cast<uint64_t>(run) << 1, out);
      for (size_t idx = 0; idx < value_bytes; ++idx)
        out.push_back(static_cast<char>((values[pos] >> (8 * idx)) & 0xff));
      pos += run;
      continue;
    }
    // Bit-pack groups of 8 until a long run starts (or the data ends; the last group is padded).
    size_t start = pos;
    size_t groups = 0;
    while (pos < count) {
      if (groups > 0 && run_length(values, count, pos) >= 8) break;
      pos = std::min(pos + 8, count);
      ++groups;
    }
    write_uleb128((static_cast<uint64_t>(groups) << 1) | 1, out);
    size_t base = out.size();
    out.append(groups * static_cast<size_t>(bit_width), '\0');
    uint64_t bit = 0;
    for (size_t idx = start; idx < start + groups * 8; ++idx) {
      uint64_t value = idx < pos ? values[idx] : 0;
      for (int b = 0; b < bit_width; ++b, ++bit) {
        if ((value >> b) & 1)
          out[base + (bit >> 3)] = static_cast<char>(out[base + (bit >> 3)] | (1 << (bit & 7)));
      }
    }
  }
}

}  // namespace idemload::formats::parquet
