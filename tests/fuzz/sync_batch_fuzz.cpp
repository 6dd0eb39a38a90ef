// Event batches as HQ receives them (sync/protocol/batch.hpp): the input is batch JSON, decoded
// as it is and, when valid, gzipped (the wire form); input starting with gzip's magic bytes is
// also decoded as the gzip upload itself.

#include <cstddef>
#include <cstdint>

#include "common/gzip.hpp"
#include "sync/protocol/batch.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace kiosk_edge::fuzz {
namespace {

// A decoded batch encodes again, within the size the client packs batches by, to itself.
void CheckReencodes(const EventBatch& batch) {
  FUZZ_CHECK(ValidateBatch(batch).has_value());
  const Result<std::string> json = EncodeBatchJson(batch);
  FUZZ_CHECK(json.has_value());
  std::size_t packed = kMaxBatchEnvelopeBytes;
  for (const WireEvent& event : batch.events) packed += EncodedEventBytes(event);
  FUZZ_CHECK(json->size() <= packed);
  const Result<EventBatch> again = DecodeBatchJson(*json);
  FUZZ_CHECK(again && *again == batch);
}

void CheckBatchJson(std::string_view json) {
  const Result<EventBatch> batch = DecodeBatchJson(json);
  if (!batch) {
    FUZZ_CHECK(batch.error().kind() == ErrorKind::kInvalidArgument);
    return;
  }
  CheckReencodes(*batch);
  // The same JSON on the wire decodes the same way. (Only for batches that decode: gzip costs
  // about a millisecond under ASan, and the refusals are DecodeBatchJson's own.)
  const Result<std::string> gzipped = Gzip(json, 1);
  FUZZ_CHECK(gzipped.has_value());
  const Result<EventBatch> unzipped = DecodeBatch(*gzipped);
  FUZZ_CHECK(unzipped && *unzipped == *batch);
}

// Input that looks like gzip (the magic bytes), mostly corrupt: refused, or a valid batch.
void CheckGzipped(std::string_view gzipped) {
  if (!gzipped.starts_with("\x1f\x8b")) return;
  const Result<EventBatch> batch = DecodeBatch(gzipped);
  if (batch) CheckReencodes(*batch);
}

}  // namespace
}  // namespace kiosk_edge::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = kiosk_edge::fuzz::AsText(data, size);
  kiosk_edge::fuzz::CheckBatchJson(text);
  kiosk_edge::fuzz::CheckGzipped(text);
  return 0;
}
