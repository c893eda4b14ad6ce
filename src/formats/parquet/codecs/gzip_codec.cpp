// GZIP over zlib. A page may hold several concatenated gzip members; each is inflated in turn.
#include <zlib.h>

#include <fmt/format.h>

#include "core/error.h"
#include "formats/parquet/codecs/codec.h"

namespace idemload::formats::parquet::codecs {

void gzip_decompress(std::string_view input, uint8_t* output, size_t output_size) {
  z_stream stream{};
  // 15 + 32: a window of 32 KiB and automatic detection of gzip or zlib headers.
  if (inflateInit2(&stream, 15 + 32) != Z_OK) throw Error::Internal("zlib inflateInit2 failed");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = output;
  stream.avail_out = static_cast<uInt>(output_size);
  int rc = Z_OK;
  while (true) {
    rc = inflate(&stream, Z_FINISH);
    if (rc == Z_STREAM_END) {
      // Another member may follow (skip trailing zero padding some writers leave).
      while (stream.avail_in > 0 && *stream.next_in == 0) {
        ++stream.next_in;
        --stream.avail_in;
      }
      if (stream.avail_in == 0) break;
      if (inflateReset(&stream) != Z_OK) break;
      continue;
    }
    if (rc == Z_BUF_ERROR && stream.avail_out == 0 && stream.avail_in > 0) {
      rc = Z_DATA_ERROR;  // more data than the page header announced
    }
    break;
  }
  size_t produced = output_size - stream.avail_out;
  inflateEnd(&stream);
  if (rc != Z_STREAM_END) throw Error::Corruption({}, fmt::format("invalid GZIP data (zlib error {})", rc));
  if (produced != output_size) {
    throw Error::Corruption({}, fmt::format("GZIP data expands to {} bytes, the page header says {}", produced, output_size));
  }
}

void gzip_compress(std::string_view input, std::string& out) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw Error::Internal("zlib deflateInit2 failed");
  }
  out.resize(deflateBound(&stream, static_cast<uLong>(input.size())) + 32);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&stream, Z_FINISH);
  size_t produced = out.size() - stream.avail_out;
  deflateEnd(&stream);
  if (rc != Z_STREAM_END) throw Error::Internal("zlib deflate did not finish");
  out.resize(produced);
}

}  // namespace idemload::formats::parquet::codecs
