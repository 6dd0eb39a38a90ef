#pragma once

#include <ostream>
#include <span>
#include <string>
#include <string_view>

namespace kiosk_edge {

// TEXT for `kioskctl decode`: backslash, newline, carriage return and tab written as \\, \n, \r
// and \t, so that each code stays on one line; every other byte unchanged.
std::string EscapeDecodedText(std::string_view text);

// `kioskctl decode FILE...`: scans each PNG/JPEG image file with the scanner pipeline and prints
// FILE<TAB>TEXT for every QR code found, nothing for an image without one. Needs no agent.
// Returns 0 when every file was read (with or without codes), 1 when one could not be read (each
// such file named on `err`; the others are still decoded), 2 with no FILE.
int DecodeCommand(std::span<const std::string_view> files, std::ostream& out, std::ostream& err);

}  // namespace kiosk_edge
