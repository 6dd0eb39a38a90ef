#pragma once

// gzip (RFC 1952) compression for sync batches. The only header that fronts zlib for this use
// (in gzip.cpp); byte strings are std::string / std::string_view of raw, binary-safe bytes.

#include <cstddef>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace kiosk_edge {

// zlib level 1: sync batches are JSON, which still shrinks several-fold at the fastest level,
// and both ends spend their CPU on more useful things than the last few percent.
inline constexpr int kGzipDefaultLevel = 1;

// One gzip member holding `data`. `level` is zlib's 0 (store) .. 9 (smallest); anything else is
// kInvalidArgument. kInternal only if zlib itself fails (out of memory).
Result<std::string> Gzip(std::string_view data, int level = kGzipDefaultLevel);

// The bytes of exactly one gzip member. Refuses, with kInvalidArgument and nothing returned:
// - output that would exceed `max_output_bytes` ("gzip: inflates to more than N bytes"): it
//   stops inflating at the limit, so a small "zip bomb" costs at most the limit in memory;
// - anything that is not a complete, intact gzip member (bad header, corrupt data, CRC or length
//   mismatch, truncated input);
// - any byte after the member, a second member included ("trailing data after the gzip
//   member"): the sender's framing is wrong and the extra bytes would be silently ignored.
Result<std::string> Gunzip(std::string_view gzipped, std::size_t max_output_bytes);

}  // namespace kiosk_edge
