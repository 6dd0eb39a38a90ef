#include "common/gzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <climits>

#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

// windowBits 15 (32 KiB window) + 16: write and read a gzip header and trailer, not zlib's.
constexpr int kGzipWindowBits = 15 + 16;
// zlib counts in uInt; feed and drain it in chunks it can always describe.
constexpr std::size_t kChunk = 256 * 1024;

Bytef* InputPointer(std::string_view data) {
  // zlib's next_in is not const in its API but is never written through.
  return reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
}

Error InvalidGzip(std::string_view why) {
  return Error(ErrorKind::kInvalidArgument, StrCat("gzip: ", why));
}

}  // namespace

Result<std::string> Gzip(std::string_view data, int level) {
  if (level < 0 || level > 9) {
    return Error(ErrorKind::kInvalidArgument, StrCat("gzip: level ", level, " is not 0..9"));
  }
  z_stream stream{};
  if (deflateInit2(&stream, level, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Error(ErrorKind::kInternal, "gzip: cannot initialise zlib");
  }
  std::string out;
  out.resize(deflateBound(&stream, static_cast<uLong>(data.size())));
  std::size_t produced = 0;
  std::size_t consumed = 0;
  int status = Z_OK;
  while (status != Z_STREAM_END) {
    const std::size_t in_chunk = std::min(kChunk, data.size() - consumed);
    stream.next_in = InputPointer(data.substr(consumed));
    stream.avail_in = static_cast<uInt>(in_chunk);
    const bool last = consumed + in_chunk == data.size();
    do {
      if (out.size() - produced < kChunk / 4) out.resize(out.size() + kChunk);
      const std::size_t room = std::min(kChunk, out.size() - produced);
      stream.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
      stream.avail_out = static_cast<uInt>(room);
      status = deflate(&stream, last ? Z_FINISH : Z_NO_FLUSH);
      if (status == Z_STREAM_ERROR) {
        deflateEnd(&stream);
        return Error(ErrorKind::kInternal, "gzip: zlib deflate failed");
      }
      produced += room - stream.avail_out;
    } while (stream.avail_out == 0 || (last && status != Z_STREAM_END));
    consumed += in_chunk;
  }
  deflateEnd(&stream);
  out.resize(produced);
  return out;
}

Result<std::string> Gunzip(std::string_view gzipped, std::size_t max_output_bytes) {
  z_stream stream{};
  if (inflateInit2(&stream, kGzipWindowBits) != Z_OK) {
    return Error(ErrorKind::kInternal, "gzip: cannot initialise zlib");
  }
  std::string out;
  std::size_t produced = 0;
  std::size_t consumed = 0;
  int status = Z_OK;
  // One byte of room beyond the limit tells "exactly the limit" from "more than the limit".
  const std::size_t hard_cap = max_output_bytes == SIZE_MAX ? SIZE_MAX : max_output_bytes + 1;
  while (status != Z_STREAM_END) {
    // Z_BUF_ERROR with all input fed: the member ended early.
    if (consumed == gzipped.size() && stream.avail_in == 0 && status == Z_BUF_ERROR) break;
    if (stream.avail_in == 0) {
      const std::size_t in_chunk = std::min(kChunk, gzipped.size() - consumed);
      stream.next_in = InputPointer(gzipped.substr(consumed));
      stream.avail_in = static_cast<uInt>(in_chunk);
      consumed += in_chunk;
    }
    // produced <= max_output_bytes < hard_cap here, so there is always room to grow.
    if (produced == out.size()) out.resize(produced + std::min(kChunk, hard_cap - produced));
    const std::size_t room = out.size() - produced;
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    stream.avail_out = static_cast<uInt>(room);
    status = inflate(&stream, Z_NO_FLUSH);
    produced += room - stream.avail_out;
    if (status == Z_NEED_DICT || status == Z_DATA_ERROR || status == Z_STREAM_ERROR ||
        status == Z_MEM_ERROR) {
      inflateEnd(&stream);
      return InvalidGzip(status == Z_MEM_ERROR ? "out of memory" : "corrupt data");
    }
    if (produced > max_output_bytes) {
      inflateEnd(&stream);
      return InvalidGzip(StrCat("inflates to more than ", max_output_bytes, " bytes"));
    }
  }
  const bool complete = status == Z_STREAM_END;
  const bool trailing = complete && (stream.avail_in != 0 || consumed != gzipped.size());
  inflateEnd(&stream);
  if (!complete) return InvalidGzip("truncated data");
  if (trailing) return InvalidGzip("trailing data after the gzip member");
  out.resize(produced);
  return out;
}

}  // namespace kiosk_edge
