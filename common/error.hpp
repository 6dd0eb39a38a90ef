#pragma once

#include <boost/system/result.hpp>
#include <string>
#include <string_view>

namespace kiosk_edge {

// What went wrong, in terms a caller branches on. Add a kind only when some caller handles it
// differently from the others.
enum class ErrorKind {
  kInvalidArgument,  // the caller's input is wrong: tell the user what and where
  kNotFound,
  kConflict,     // the thing was already done (a claim taken, a voucher redeemed)
  kConfig,       // a config file is unusable; the process must not start
  kIo,           // the operating system or a library failed (disk, socket)
  kCorrupt,      // stored data failed an integrity check
  kJournalFull,  // the journal's disk budget is spent; refuse the capture with a clear message
  kUnavailable,  // shutting down or overloaded; the caller may try again later
  kInternal,     // a bug or a broken invariant
};

std::string_view ToString(ErrorKind kind);

// An error value: a kind to branch on and a message for humans, with the context added by each
// layer on the way up ("open journal: /var/lib/x/journal.db: disk I/O error").
// Messages never contain personal data.
class Error {
 public:
  Error(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}
  // Only for containers and Result<T>::error() on a success; real errors always name a kind.
  Error() : kind_(ErrorKind::kInternal) {}

  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }

  // Returns this error with `context` prepended as "context: message".
  Error WithContext(std::string_view context) const;

 private:
  ErrorKind kind_;
  std::string message_;
};

// Fallible functions return Result<T>; no exception crosses a module boundary.
template <class T>
using Result = boost::system::result<T, Error>;

// Called by Result<T>::value() when it holds an error (found by argument-dependent lookup).
// Code should test the result instead; this exists so that a forgotten check fails loudly.
[[noreturn]] void throw_exception_from_error(const Error& error, const boost::source_location& loc);

}  // namespace kiosk_edge
