#pragma once

#include <optional>
#include <string_view>

namespace kiosk_edge {

enum class Language { kChinese, kEnglish };

// Every text a shopper or clerk sees, by key; the catalogue holds one translation per language.
enum class Msg {
  kPageTitle,
  kOfferHeadline,
  kOfferBody,
  kSignUpButton,
  kSignupTitle,
  kNameLabel,
  kPhoneLabel,
  kPhoneHint,
  kConsentServiceLabel,
  kConsentMarketingLabel,
  kSubmitButton,
  kThanksTitle,
  kThanksBody,
  kAlreadySignedUp,
  kErrorNameMissing,
  kErrorNameTooLong,
  kErrorNameInvalid,
  kErrorPhoneMissing,
  kErrorPhoneInvalid,
  kErrorPhoneNotMobile,
  kErrorPhoneCountry,
  kErrorConsentRequired,
  kErrorFormExpired,
  kErrorTooManyAttempts,
  kErrorJournalFull,
  kErrorTryAgain,
  kInvalidCodeNotice,
  kKioskScanHere,
  kKioskTapHere,
  kKioskOffline,
  kSwitchLanguage,
  kVoucherTitle,
  kVoucherBrightnessHint,
  kVoucherGift,
  kVoucherStore,
  kVoucherAnyStore,
  kVoucherExpires,
  kVoucherCodeLabel,
  kVoucherExpired,
  kVoucherNotValid,
  kCounterTitle,
  kCounterStaffId,
  kCounterPin,
  kCounterLogIn,
  kCounterLogOut,
  kCounterLoginFailed,
  kCounterLockedOut,
  kCounterSessionExpired,
  kCounterScanPrompt,
  kCounterCodeLabel,
  kCounterRedeemButton,
  kCounterStartCamera,
  kCounterDeviceCamera,
  kCounterRedeemed,
  kCounterDoNotHandOver,
  kCounterNotRecorded,
  kRefusedNotAVoucher,
  kRefusedUnknownSigner,
  kRefusedRevoked,
  kRefusedExpired,
  kRefusedWrongStore,
  kRefusedAlreadyRedeemed,
  kCounterPriorAt,
  kCounterPriorKiosk,
  kCounterPriorStaff,
  kCount_,
};

// The text for `key` in `language`. Every key has both translations (a test checks).
std::string_view Text(Msg key, Language language);

// "zh" / "en" for <html lang> and the ?lang= switch.
std::string_view LanguageTag(Language language);
std::optional<Language> ParseLanguageTag(std::string_view tag);

// The shopper's language: an explicit choice (?lang= or the lang cookie) wins, then the first
// supported language in Accept-Language (q-values honoured), then Chinese.
Language ChooseLanguage(std::optional<std::string_view> explicit_choice,
                        std::optional<std::string_view> accept_language);

}  // namespace kiosk_edge
