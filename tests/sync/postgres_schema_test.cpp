// PostgresStore's schema in a real PostgreSQL (tests/support/postgres_cluster.hpp, which these
// tests FAIL without): what its migrations leave, whatever the database's locale.

#include <gtest/gtest.h>

#include <string>

#include "common/fake_clock.hpp"
#include "common/strings.hpp"
#include "support/temp_dir.hpp"
#include "support/test_stores.hpp"

namespace kiosk_edge {
namespace {

// Migration 12: no text column follows the database's collation, so B-tree keys compare bytewise
// (a column a later migration adds without COLLATE "C" shows up here).
TEST(PostgresSchemaTest, EveryTextColumnComparesBytewise) {
  auto identity = testing::TestHqIdentity(std::string(32, 'k'));
  ASSERT_TRUE(identity) << identity.error().message();
  testing::TempDir dir;
  const testing::TestDatabase database(testing::Backend::kPostgres, dir / "unused.db");
  FakeClock clock;
  auto store = database.Open(*identity, clock);
  ASSERT_TRUE(store) << store.error().message();

  auto connection = testing::ConnectToSharedCluster();
  ASSERT_TRUE(connection) << connection.error().message();
  auto columns = connection->Query(
      "SELECT table_name || '.' || column_name || ' ' || COALESCE(collation_name, '(default)') "
      "FROM information_schema.columns WHERE table_schema = $1 AND data_type = 'text' "
      "ORDER BY 1",
      {database.schema()});
  ASSERT_TRUE(columns) << columns.error().message();
  ASSERT_GT(columns->rows(), 50);  // the check reads the store's own columns
  for (int row = 0; row < columns->rows(); ++row) {
    const std::string column = columns->Text(row, 0);
    EXPECT_TRUE(column.ends_with(" C")) << column;
  }
}

}  // namespace
}  // namespace kiosk_edge
