// The RLE/bit-packed hybrid encoding (definition levels, RLE booleans, dictionary indices):
// a streaming decoder, and an encoder for the writer.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "formats/parquet/decoders/bit_unpack.h"

namespace idemload::formats::parquet {

// Decodes runs from a buffer it does not own. get_batch() returns fewer values than asked only
// when the data ends (or is malformed); the caller reports that as corruption.
class RleBpDecoder {
 public:
  RleBpDecoder() = default;
  RleBpDecoder(const uint8_t* data, size_t size, int bit_width)
      : data_(data), size_(size), bit_width_(bit_width) {}

  template <typename T>
  size_t get_batch(T* out, size_t count) {
    size_t done = 0;
    while (done < count) {
      if (run_left_ == 0 && !next_run()) break;
      size_t take = static_cast<size_t>(std::min<uint64_t>(run_left_, count - done));
      if (is_rle_) {
        std::fill(out + done, out + done + take, static_cast<T>(rle_value_));
      } else {
        // The run's values lie within its bytes (next_run() counts only whole values), so
        // loads may reach past the run into the rest of the data: the mask drops those bits.
        unpack_bits(data_, size_, run_bit_pos_, bit_width_, take, out + done);
        run_bit_pos_ += static_cast<uint64_t>(take) * static_cast<uint64_t>(bit_width_);
      }
      run_left_ -= take;
      done += take;
    }
    return done;
  }

 private:
  bool next_run();

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t pos_ = 0;
  int bit_width_ = 0;
  uint64_t run_left_ = 0;
  bool is_rle_ = false;
  uint64_t rle_value_ = 0;
  uint64_t run_bit_pos_ = 0;  // bit position of the next bit-packed value
};

// Appends the hybrid encoding of `values` (each < 2^bit_width) to `out`: runs of 8 or more
// equal values as RLE runs, the rest bit-packed in groups of 8.
void rle_bp_encode(const uint32_t* values, size_t count, int bit_width, std::string& out);

}  // namespace idemload::formats::parquet
