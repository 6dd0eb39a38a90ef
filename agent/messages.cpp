#include "agent/messages.hpp"

#include <array>
#include <cstdlib>
#include <string>

namespace kiosk_edge {
namespace {

struct Translation {
  std::string_view zh;
  std::string_view en;
};

constexpr std::array<Translation, static_cast<std::size_t>(Msg::kCount_)> kCatalogue = {{
    {"欢迎光临", "Welcome"},
    {"注册即送好礼", "Sign up for a free gift"},
    {"留下姓名和手机号，即可领取礼品券，到店出示即可兑换。",
     "Leave your name and mobile number to get a gift voucher; show it in store to redeem."},
    {"立即注册", "Sign up now"},
    {"注册领取礼品", "Sign up for your gift"},
    {"姓名", "Name"},
    {"手机号码", "Mobile number"},
    {"中国大陆手机号可直接填写，其他地区请加国际区号，如 +852",
     "Mainland China mobiles as they are; other regions with their country code, e.g. +852"},
    {"我同意为发放和兑换礼品而处理我的信息（必选）",
     "I agree to my details being used to issue and redeem my gift (required)"},
    {"我愿意接收优惠信息（可选）", "Send me offers (optional)"},
    {"提交", "Submit"},
    {"注册成功", "You're signed up"},
    {"感谢注册！请到店出示礼品券领取礼品。",
     "Thank you! Show your gift voucher in store to collect your gift."},
    {"这个手机号已经注册过本次活动，无需重复注册。",
     "This mobile number is already signed up for this offer; no need to sign up again."},
    {"请填写姓名", "Please enter your name"},
    {"姓名最多 64 个字", "Names can be at most 64 characters"},
    {"姓名含有无法识别的字符", "Your name contains characters we cannot accept"},
    {"请填写手机号码", "Please enter your mobile number"},
    {"手机号码只能包含数字、空格、横线和 +", "Use digits, spaces, dashes and + only"},
    {"这不是有效的手机号码", "This is not a valid mobile number"},
    {"暂不支持该国家或地区的号码", "Numbers from this country or region are not accepted yet"},
    {"请勾选同意后再提交", "Please tick the required consent"},
    {"页面已过期，请再提交一次", "This form expired; please submit it again"},
    {"尝试次数过多，请稍后再试", "Too many attempts; please try again in a minute"},
    {"本机存储已满，暂时无法注册，请联系店员",
     "This kiosk is full and cannot take sign-ups; please ask staff"},
    {"出了点问题，请再试一次", "Something went wrong; please try again"},
    {"这个二维码无法识别，但您仍可注册领取礼品。",
     "We could not recognise this code, but you can still sign up for your gift."},
    {"用手机扫码，注册领礼品", "Scan with your phone to get a gift"},
    {"或点这里在本机注册", "or tap here to sign up on this screen"},
    {"离线模式：您的注册会保存在本机", "Offline: your sign-up is saved on this kiosk"},
    {"English", "中文"},
    {"您的礼品券", "Your gift voucher"},
    {"请调高屏幕亮度，到店向店员出示此码",
     "Turn your screen brightness up and show this code in store"},
    {"礼品", "Gift"},
    {"门店", "Store"},
    {"所有门店通用", "any of our stores"},
    {"有效期至", "Valid until"},
    {"券码（无法扫码时可手动输入）", "Voucher code (to type in if the scan fails)"},
    {"此礼品券已过期", "This voucher has expired"},
    {"这不是有效的礼品券", "This is not a valid gift voucher"},
    {"柜台核销", "Counter: redeem gift vouchers"},
    {"员工编号", "Staff ID"},
    {"PIN 码", "PIN"},
    {"登录", "Log in"},
    {"退出", "Log out"},
    {"员工编号或 PIN 码不正确", "Wrong staff ID or PIN"},
    {"PIN 码错误次数过多，该员工编号已暂时锁定，请稍后再试",
     "Too many wrong PINs: this staff ID is locked for a few minutes"},
    {"登录已过期，请重新登录", "Your session has expired; please log in again"},
    {"扫描顾客的礼品券，或输入券码", "Scan the shopper's voucher, or type its code"},
    {"券码", "Voucher code"},
    {"核销", "Redeem"},
    {"打开摄像头", "Start camera"},
    {"柜台摄像头", "Counter camera"},
    {"已核销：", "Redeemed: "},
    {"请勿发放礼品", "Do not hand over the gift"},
    {"未能记录本次核销，请勿发放礼品，请重试",
     "Not recorded: do not hand over the gift; please try again"},
    {"不是有效的礼品券（伪造或损坏）", "Not a voucher (forged or garbled)"},
    {"签发设备未知，不是本公司的礼品券", "Unknown issuer: not signed by one of our kiosks"},
    {"此礼品券已作废", "This voucher has been revoked"},
    {"此礼品券已过期", "This voucher has expired"},
    {"此礼品券不适用于本店", "Not valid in this store"},
    {"此礼品券已被核销过", "Already redeemed"},
    {"核销时间", "Redeemed at"},
    {"核销设备", "Kiosk"},
    {"核销员工", "Staff"},
}};

double QValue(std::string_view part) {
  const auto q = part.find("q=");
  if (q == std::string_view::npos) return 1.0;
  const std::string value(part.substr(q + 2));
  return std::strtod(value.c_str(), nullptr);
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string_view Text(Msg key, Language language) {
  const Translation& t = kCatalogue.at(static_cast<std::size_t>(key));
  return language == Language::kChinese ? t.zh : t.en;
}

std::string_view LanguageTag(Language language) {
  return language == Language::kChinese ? "zh" : "en";
}

std::optional<Language> ParseLanguageTag(std::string_view tag) {
  if (tag.size() >= 2) {
    const std::string_view primary = tag.substr(0, 2);
    if (primary == "zh" || primary == "ZH") return Language::kChinese;
    if (primary == "en" || primary == "EN") return Language::kEnglish;
  }
  return std::nullopt;
}

Language ChooseLanguage(std::optional<std::string_view> explicit_choice,
                        std::optional<std::string_view> accept_language) {
  if (explicit_choice) {
    if (auto chosen = ParseLanguageTag(*explicit_choice)) return *chosen;
  }
  if (!accept_language) return Language::kChinese;
  std::optional<Language> best;
  double best_q = 0;
  std::string_view rest = *accept_language;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view part = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const auto language = ParseLanguageTag(part.substr(0, part.find(';')));
    const double q = QValue(part);
    if (language && q > best_q) {
      best = language;
      best_q = q;
    }
  }
  return best.value_or(Language::kChinese);
}

}  // namespace kiosk_edge
