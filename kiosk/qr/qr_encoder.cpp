// The libqrencode adapter: the only file that includes qrencode.h.
#include <qrencode.h>

#include <cerrno>
#include <memory>
#include <string>

#include "kiosk/qr/qr_code.hpp"

namespace kiosk_edge {
namespace {

struct QrcodeFree {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

QRecLevel ToQrencodeLevel(QrErrorCorrection level) {
  switch (level) {
    case QrErrorCorrection::kLow:
      return QR_ECLEVEL_L;
    case QrErrorCorrection::kMedium:
      return QR_ECLEVEL_M;
    case QrErrorCorrection::kQuartile:
      return QR_ECLEVEL_Q;
    case QrErrorCorrection::kHigh:
      return QR_ECLEVEL_H;
  }
  return QR_ECLEVEL_M;
}

}  // namespace

Result<QrMatrix> EncodeQr(std::string_view text, QrErrorCorrection level) {
  if (text.empty()) return Error(ErrorKind::kInvalidArgument, "QR text is empty");
  if (text.size() > kMaxQrTextBytes) {
    return Error(ErrorKind::kInvalidArgument, "QR text is " + std::to_string(text.size()) +
                                                  " bytes, more than the limit of " +
                                                  std::to_string(kMaxQrTextBytes));
  }
  if (text.find('\0') != std::string_view::npos) {
    return Error(ErrorKind::kInvalidArgument, "QR text contains a NUL byte");
  }
  // libqrencode wants a NUL-terminated string; `text` is a view and may not be terminated.
  const std::string terminated(text);
  errno = 0;
  // Version 0 = the smallest that fits; the QR_MODE_8 hint with case sensitivity on lets
  // libqrencode split the text into numeric, alphanumeric and 8-bit segments as it sees fit.
  std::unique_ptr<QRcode, QrcodeFree> code(
      QRcode_encodeString(terminated.c_str(), 0, ToQrencodeLevel(level), QR_MODE_8, 1));
  if (!code) {
    if (errno == ERANGE) {
      return Error(ErrorKind::kInvalidArgument,
                   "QR text of " + std::to_string(text.size()) +
                       " bytes does not fit the largest QR version at this error correction");
    }
    if (errno == EINVAL) return Error(ErrorKind::kInvalidArgument, "QR text was refused");
    return Error(ErrorKind::kInternal, "libqrencode failed to encode the QR text");
  }
  QrMatrix matrix;
  matrix.size = code->width;
  const auto count = static_cast<std::size_t>(code->width) * static_cast<std::size_t>(code->width);
  matrix.modules.resize(count);
  // Bit 0 of each libqrencode byte is the module colour; the other bits describe its role.
  for (std::size_t i = 0; i < count; ++i) {
    matrix.modules[i] = static_cast<std::uint8_t>(code->data[i] & 1u);
  }
  return matrix;
}

}  // namespace kiosk_edge
