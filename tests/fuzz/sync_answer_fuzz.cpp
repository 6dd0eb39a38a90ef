// HQ's answer to a batch as the kiosk's sync client reads it (sync/protocol/batch.hpp).

#include <cstddef>
#include <cstdint>

#include "sync/protocol/batch.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kiosk_edge;
  const Result<BatchAnswer> answer = DecodeAnswer(fuzz::AsText(data, size));
  if (!answer) {
    FUZZ_CHECK(answer.error().kind() == ErrorKind::kInvalidArgument);
    return 0;
  }
  // What the decoder accepts encodes, and decodes again, to itself.
  const Result<std::string> json = EncodeAnswer(*answer);
  FUZZ_CHECK(json.has_value());
  const Result<BatchAnswer> again = DecodeAnswer(*json);
  FUZZ_CHECK(again && *again == *answer);
  return 0;
}
