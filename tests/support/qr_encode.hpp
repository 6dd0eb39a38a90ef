#pragma once

// QR codes for the QR tests: a typical channel URL, and encoding that fails the test instead of
// returning an error.

#include <gtest/gtest.h>

#include <string_view>

#include "kiosk/qr/qr_code.hpp"

namespace kiosk_edge::testing {

// A typical channel URL, as a poster's code carries it.
inline constexpr std::string_view kChannelUrl = "HTTP://KIOSK.LOCAL/C/EL3-POSTER2.A7KQ2MZX4PLQ3RTY";

// `text` as a QR code at `level`; an empty matrix, failing the test, when EncodeQr refuses it.
inline QrMatrix MustEncode(std::string_view text,
                           QrErrorCorrection level = QrErrorCorrection::kMedium) {
  auto qr = EncodeQr(text, level);
  EXPECT_TRUE(qr) << (qr ? "" : qr.error().message());
  return qr ? *qr : QrMatrix{};
}

}  // namespace kiosk_edge::testing
