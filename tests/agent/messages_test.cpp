#include "agent/messages.hpp"

#include <gtest/gtest.h>

namespace kiosk_edge {
namespace {

TEST(MessagesTest, EveryKeyHasBothTranslations) {
  for (int i = 0; i < static_cast<int>(Msg::kCount_); ++i) {
    const auto key = static_cast<Msg>(i);
    EXPECT_FALSE(Text(key, Language::kChinese).empty()) << "key " << i;
    EXPECT_FALSE(Text(key, Language::kEnglish).empty()) << "key " << i;
    EXPECT_NE(Text(key, Language::kChinese), Text(key, Language::kEnglish)) << "key " << i;
  }
}

TEST(MessagesTest, ChoosesLanguage) {
  EXPECT_EQ(ChooseLanguage(std::nullopt, std::nullopt), Language::kChinese);
  EXPECT_EQ(ChooseLanguage(std::nullopt, "en-US,en;q=0.9"), Language::kEnglish);
  EXPECT_EQ(ChooseLanguage(std::nullopt, "zh-CN,zh;q=0.9,en;q=0.8"), Language::kChinese);
  EXPECT_EQ(ChooseLanguage(std::nullopt, "fr-FR, en;q=0.5, zh;q=0.7"), Language::kChinese);
  EXPECT_EQ(ChooseLanguage(std::nullopt, "fr-FR"), Language::kChinese);
  EXPECT_EQ(ChooseLanguage("en", "zh-CN"), Language::kEnglish);
  EXPECT_EQ(ChooseLanguage("xx", "en"), Language::kEnglish) << "an unknown choice is ignored";
}

}  // namespace
}  // namespace kiosk_edge
