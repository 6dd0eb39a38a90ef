#pragma once

// The audit of HQ's admin actions: who issued an enrollment token, revoked a kiosk or a
// voucher, honoured a revoked kiosk's vouchers, rotated or withdrew a channel key, withdrew a
// shopper's consent or erased a shopper, and when (docs/operations.md, "Status and metrics").
// profile-store's commands and HQ API endpoints record each action before it runs (no audit, no
// action), so one that then failed is in it too: the command's exit status and the log say
// whether it ran. Exports of audiences have an audit of their own (AudienceExportRecord). It is
// the store's, so whoever can write the database can rewrite it; it records, it does not prove.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace kiosk_edge {

// The actions, as stored.
namespace admin_action {
inline constexpr std::string_view kEnrollToken = "enroll-token";  // target: the kiosk id
inline constexpr std::string_view kRevokeKiosk = "revoke-kiosk";  // target: the kiosk id
// target: the kiosk id; detail: "received before <RFC 3339 UTC>", as asked
inline constexpr std::string_view kHonourVouchers = "honour-vouchers";
inline constexpr std::string_view kRevokeVoucher = "revoke-voucher";  // target: KIOSK/VOUCHER
// target: the signing key it retires ("-" before the first key was made)
inline constexpr std::string_view kRotateChannelKey = "rotate-channel-key";
inline constexpr std::string_view kWithdrawChannelKey = "withdraw-channel-key";  // target: key id
inline constexpr std::string_view kWithdrawConsent = "withdraw-consent";  // target: profile key
inline constexpr std::string_view kEraseSubject = "erase-subject";        // target: profile key
}  // namespace admin_action

struct AdminActionRecord {
  std::int64_t id = 0;  // assigned by the store, rising
  std::int64_t at_ms = 0;
  std::string actor;   // CommandLineActor() or ApiTokenActor()
  std::string action;  // one of admin_action
  std::string target;  // what it acts on (see admin_action); never a phone or a name
  std::string detail;  // more of the request, such as "valid 24 h"; may be empty

  friend bool operator==(const AdminActionRecord&, const AdminActionRecord&) = default;
};

// The actor of a profile-store command: "cli:" and the name of the process's effective user,
// then " (sudo from NAME)" when SUDO_USER names who ran it through sudo. That name is sudo's word
// for it: whoever runs the command as that user directly can set SUDO_USER too.
std::string CommandLineActor();
// The actor of an HQ API call: "token:" and the name of the token it came with.
std::string ApiTokenActor(std::string_view token_name);

// GET /v1/audit/actions: {"query": {}, "columns": [...], "rows": [{"id", "at", "actor",
// "action", "target", "detail"}]}, times in UTC.
std::string AdminActionsJson(std::span<const AdminActionRecord> records);
// `profile-store audit-actions`: a header line, then one tab-separated line per record.
std::string AdminActionsTable(std::span<const AdminActionRecord> records);

// Schema migration 16 (SQLite) and 19 (PostgreSQL).
inline constexpr std::string_view kAdminAuditSchemaSqlite = R"sql(
CREATE TABLE admin_actions (
  id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  target TEXT NOT NULL, detail TEXT NOT NULL);
)sql";

inline constexpr std::string_view kAdminAuditSchemaPostgres = R"sql(
CREATE TABLE admin_actions (
  id BIGSERIAL PRIMARY KEY, at_ms BIGINT NOT NULL, actor TEXT COLLATE "C" NOT NULL,
  action TEXT COLLATE "C" NOT NULL, target TEXT COLLATE "C" NOT NULL,
  detail TEXT COLLATE "C" NOT NULL);
)sql";

}  // namespace kiosk_edge
