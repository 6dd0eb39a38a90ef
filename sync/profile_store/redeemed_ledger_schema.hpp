#pragma once

// The voucher ledger's positions (StoreBackend::RedeemedVouchersAfter), in the schema migrations
// of sqlite_store.cpp and postgres_schema.cpp.

#include <string_view>

namespace kiosk_edge {

// SQLite 12, PostgreSQL 15: each fleet-scope voucher's first redemption got a ledger position,
// so that a kiosk can ask for the vouchers redeemed since the list it holds. Ingest gives the next
// positions (RecordRedemptions in sqlite_ingest.cpp and postgres_ingest.cpp); the vouchers
// redeemed before this migration are numbered here, in key order. The same text suits both.
inline constexpr std::string_view kRedeemedPositionsSql = R"sql(
ALTER TABLE vouchers ADD COLUMN redeemed_pos BIGINT;
UPDATE vouchers SET redeemed_pos = numbered.pos
  FROM (SELECT voucher_key, ROW_NUMBER() OVER (ORDER BY voucher_key) AS pos FROM vouchers
        WHERE scope = 'fleet' AND redemptions > 0) AS numbered
  WHERE vouchers.voucher_key = numbered.voucher_key;
CREATE UNIQUE INDEX vouchers_by_redeemed_pos ON vouchers (redeemed_pos)
  WHERE redeemed_pos IS NOT NULL;
)sql";

// SQLite 17, PostgreSQL 20: store-scope vouchers take positions too, so that a kiosk refuses a
// store voucher another kiosk of its store redeemed (risk 6 of docs/threat-model.md). The
// store vouchers redeemed before this migration take the positions after the ledger's end, in key
// order. The same text suits both.
inline constexpr std::string_view kRedeemedStoreVouchersSql = R"sql(
UPDATE vouchers SET redeemed_pos = numbered.pos
  FROM (SELECT voucher_key, (SELECT COALESCE(MAX(redeemed_pos), 0) FROM vouchers)
                            + ROW_NUMBER() OVER (ORDER BY voucher_key) AS pos
        FROM vouchers WHERE redeemed_pos IS NULL AND redemptions > 0) AS numbered
  WHERE vouchers.voucher_key = numbered.voucher_key;
)sql";

}  // namespace kiosk_edge
