// Every style and script on kiosk-agent's pages is one the Content-Security-Policy admits, and
// the pages carry no inline `style=` or event-handler attribute (which the policy refuses).
#include "agent/page_assets.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "agent/counter_pages.hpp"
#include "agent/shopper_pages.hpp"
#include "common/crypto.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

struct RenderedPage {
  std::string name;
  std::string html;
};

std::vector<RenderedPage> EveryPage() {
  const Voucher voucher{"0123456789abcdef",   "kiosk-1",  "store-1",
                        VoucherScope::kFleet, "Tote bag", 2'000'000'000};
  const std::string token = "V1.ABCDEFGH234567";
  std::vector<RenderedPage> pages;
  for (Language language : {Language::kEnglish, Language::kChinese}) {
    for (bool touch : {false, true}) {
      pages.push_back({"landing", RenderLandingPage(language, "EL3-POSTER-V2", touch)});
      pages.push_back(
          {"signup", RenderSignupPage(language, SignupFields{}, SignupErrors{}, "csrf", touch)});
      pages.push_back({"thanks", RenderThanksPage(language, touch, touch)});
      for (VoucherPageKind kind :
           {VoucherPageKind::kJustIssued, VoucherPageKind::kShown, VoucherPageKind::kExpired}) {
        pages.push_back({"voucher", RenderVoucherPage(language, voucher, token, kind, touch)});
      }
      pages.push_back({"kiosk screen", RenderKioskScreen(language, "<svg></svg>", touch)});
      pages.push_back({"counter", RenderCounterPage(language, "Ann", "csrf", touch, 4)});
      pages.push_back({"counter result",
                       RenderCounterResultPage(language, CounterResult{touch, "Redeemed", {}})});
    }
    pages.push_back({"notice", RenderNoticePage(language, Msg::kErrorTryAgain)});
    pages.push_back({"counter login", RenderCounterLogin(language, Msg::kCounterPin, "ann")});
  }
  return pages;
}

// The '<tag>...</tag>' blocks of `html`, each block's text.
std::vector<std::string> Blocks(const std::string& html, const std::string& tag) {
  std::vector<std::string> texts;
  const std::regex block("<" + tag + "(\\s[^>]*)?>([\\s\\S]*?)</" + tag + ">");
  for (std::sregex_iterator it(html.begin(), html.end(), block), end; it != end; ++it) {
    texts.push_back((*it)[2].str());
  }
  return texts;
}

std::string HashSource(const std::string& text) {
  return StrCat("'sha256-", Base64Encode(Sha256(text)), "'");
}

// The sources one directive of the policy lists, e.g. "script-src".
std::string Directive(std::string_view name) {
  const std::string policy(KioskContentSecurityPolicy());
  const std::size_t start = policy.find(StrCat(name, " "));
  if (start == std::string::npos) return "";
  const std::size_t end = policy.find(';', start);
  return policy.substr(start, end == std::string::npos ? end : end - start);
}

TEST(PageAssetsTest, ThePolicyAdmitsEveryInlineStyleAndScriptOfEveryPage) {
  const std::string scripts = Directive("script-src");
  const std::string styles = Directive("style-src");
  ASSERT_FALSE(scripts.empty()) << KioskContentSecurityPolicy();
  ASSERT_FALSE(styles.empty()) << KioskContentSecurityPolicy();
  int checked = 0;
  for (const RenderedPage& page : EveryPage()) {
    for (const std::string& script : Blocks(page.html, "script")) {
      EXPECT_NE(scripts.find(HashSource(script)), std::string::npos)
          << page.name << ": a script the policy does not admit: " << script;
      ++checked;
    }
    const std::vector<std::string> page_styles = Blocks(page.html, "style");
    EXPECT_FALSE(page_styles.empty()) << page.name;
    for (const std::string& style : page_styles) {
      EXPECT_NE(styles.find(HashSource(style)), std::string::npos)
          << page.name << ": a style the policy does not admit: " << style;
      ++checked;
    }
    EXPECT_FALSE(std::regex_search(page.html, std::regex(R"(\sstyle\s*=)")))
        << page.name << ": an inline style attribute";
    EXPECT_FALSE(std::regex_search(page.html, std::regex(R"(\son[a-z]+\s*=)")))
        << page.name << ": an event-handler attribute";
  }
  EXPECT_GT(checked, 40);
}

TEST(PageAssetsTest, ThePolicyAdmitsNothingElse) {
  const std::string policy(KioskContentSecurityPolicy());
  EXPECT_EQ(policy.rfind("default-src 'none'; ", 0), 0u) << policy;
  for (const char* loose : {"'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:", "data:"}) {
    EXPECT_EQ(policy.find(loose), std::string::npos) << loose << " in " << policy;
  }
  EXPECT_NE(policy.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_NE(policy.find("form-action 'self'"), std::string::npos);
  EXPECT_EQ(Directive("script-src"), StrCat("script-src", [] {
              std::string hashes;
              for (const std::string_view* script :
                   {&page_assets::kVoucherAddressScript, &page_assets::kIdleResetScript,
                    &page_assets::kKioskScreenScript, &page_assets::kCounterScript}) {
                hashes += " " + HashSource(std::string(*script));
              }
              return hashes;
            }()));
}

TEST(PageAssetsTest, EveryAnswerCarriesThePolicyAndRefusesFraming) {
  HttpResponse response = HttpResponse::Text(404, "not found\n");
  AddPageSecurityHeaders(response);
  const auto header = [&response](std::string_view name) {
    for (const auto& [key, value] : response.headers) {
      if (key == name) return value;
    }
    return std::string();
  };
  EXPECT_EQ(header("Content-Security-Policy"), KioskContentSecurityPolicy());
  EXPECT_EQ(header("X-Frame-Options"), "DENY");
  EXPECT_EQ(header("Referrer-Policy"), "same-origin");
}

}  // namespace
}  // namespace kiosk_edge
