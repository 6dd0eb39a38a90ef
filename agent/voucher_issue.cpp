#include "agent/voucher_issue.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "agent/journal_await.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {

boost::asio::awaitable<Result<IssuedVoucher>> IssueSignupVoucher(
    const VoucherIssuer& issuer, const std::string& signup_claim, const std::string& campaign,
    const std::optional<std::string>& channel_id) {
  auto id = NewVoucherId();
  if (!id) co_return id.error();
  const auto expires = issuer.clock->WallNow() + issuer.policy.validity;
  IssuedVoucher issued;
  issued.voucher =
      Voucher{std::move(*id),
              issuer.kiosk_id,
              issuer.store_id,
              issuer.policy.scope,
              issuer.policy.gift,
              std::chrono::duration_cast<std::chrono::seconds>(expires.time_since_epoch()).count()};
  auto token = SignVoucherToken(issued.voucher, issuer.device_private_key);
  if (!token) co_return token.error();
  issued.token = std::move(*token);

  const Voucher& voucher = issued.voucher;
  boost::json::object payload{{"voucher", voucher.id},
                              {"campaign", campaign},
                              {"gift", voucher.gift},
                              {"scope", ToString(voucher.scope)},
                              {"voucher_store", voucher.store_id},
                              {"expires_at", voucher.expires_at}};
  EventDraft event{"voucher_issued", channel_id, 1, boost::json::serialize(payload),
                   StrCat("voucher-for:", signup_claim)};
  auto seq = co_await AppendDurably(*issuer.journal, event);
  if (!seq) co_return seq.error();
  co_return issued;
}

}  // namespace kiosk_edge
