#include "common/http_forms.hpp"

#include <gtest/gtest.h>

namespace kiosk_edge {
namespace {

TEST(HttpFormsTest, DecodesFormFields) {
  auto fields = ParseFormUrlEncoded("name=%E5%BC%A0+%E4%BC%9F&phone=138+1234&empty=&flag");
  ASSERT_TRUE(fields) << fields.error().message();
  EXPECT_EQ(FindField(*fields, "name"), "张 伟");
  EXPECT_EQ(FindField(*fields, "phone"), "138 1234");
  EXPECT_EQ(FindField(*fields, "empty"), "");
  EXPECT_EQ(FindField(*fields, "flag"), "");
  EXPECT_EQ(FindField(*fields, "missing"), std::nullopt);
}

TEST(HttpFormsTest, RefusesMalformedInput) {
  EXPECT_FALSE(ParseFormUrlEncoded("a=%E"));
  EXPECT_FALSE(ParseFormUrlEncoded("a=%ZZ"));
  EXPECT_FALSE(ParseFormUrlEncoded("a=%FF%FE")) << "not UTF-8";
  EXPECT_FALSE(ParseFormUrlEncoded("a=%C0%AF")) << "overlong encoding";
  EXPECT_FALSE(ParseFormUrlEncoded("a=%ED%A0%80")) << "surrogate";
  std::string many;
  for (int i = 0; i < 33; ++i) many += "f=1&";
  EXPECT_FALSE(ParseFormUrlEncoded(many));
}

TEST(HttpFormsTest, CookiesQueriesAndEscaping) {
  EXPECT_EQ(FindCookie("a=1; kd=abc; lang=en", "kd"), "abc");
  EXPECT_EQ(FindCookie("a=1; kd=abc", "k"), std::nullopt);
  EXPECT_EQ(QueryOf("/c/X?lang=en&x=1"), "lang=en&x=1");
  EXPECT_EQ(QueryOf("/c/X"), "");
  EXPECT_EQ(HtmlEscape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(UrlEncode("a b/张"), "a%20b%2F%E5%BC%A0");
  EXPECT_TRUE(IsValidUtf8("张伟 ok"));
  EXPECT_FALSE(IsValidUtf8("\xE5\xBC"));
}

}  // namespace
}  // namespace kiosk_edge
