// The config bundle a kiosk pulls from HQ (sync/protocol/config_bundle.hpp), and the entity tag
// that names its version.

#include <cstddef>
#include <cstdint>

#include "sync/protocol/config_bundle.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace kiosk_edge::fuzz {
namespace {

void CheckBundle(std::string_view json) {
  const Result<ConfigBundle> bundle = DecodeConfigBundle(json);
  if (!bundle) {
    FUZZ_CHECK(bundle.error().kind() == ErrorKind::kInvalidArgument);
    return;
  }
  // What the decoder accepts is valid, and encodes and decodes again to itself.
  FUZZ_CHECK(ValidateConfigBundle(*bundle).has_value());
  const Result<std::string> encoded = EncodeConfigBundle(*bundle);
  FUZZ_CHECK(encoded.has_value());
  const Result<ConfigBundle> again = DecodeConfigBundle(*encoded);
  FUZZ_CHECK(again && *again == *bundle);
}

void CheckEtag(std::string_view etag) {
  const std::optional<std::int64_t> version = ParseConfigBundleEtag(etag);
  if (!version) return;
  const std::string canonical = ConfigBundleEtag(*version);
  FUZZ_CHECK(etag == canonical || etag == "W/" + canonical);
  FUZZ_CHECK(ParseConfigBundleEtag(canonical) == version);
}

}  // namespace
}  // namespace kiosk_edge::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = kiosk_edge::fuzz::AsText(data, size);
  kiosk_edge::fuzz::CheckBundle(text);
  kiosk_edge::fuzz::CheckEtag(text);
  return 0;
}
