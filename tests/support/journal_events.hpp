#pragma once

#include <gtest/gtest.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "agent/journal_file.hpp"
#include "common/sqlite.hpp"

namespace kiosk_edge::testing {

struct StoredEvent {
  std::int64_t seq = 0;
  std::string type;
  std::string channel_id;  // "" when none
  boost::json::object payload;
};

// The events of `type` in a (stopped or running) agent's journal, in seq order.
inline std::vector<StoredEvent> ReadEvents(const std::filesystem::path& state_dir,
                                           const std::string& type) {
  auto db = OpenJournalFileForReading(state_dir / "journal.db");
  EXPECT_TRUE(db);
  std::vector<StoredEvent> events;
  if (!db) return events;
  auto select =
      db->Prepare("SELECT seq, type, channel_id, payload FROM events WHERE type = ? ORDER BY seq");
  EXPECT_TRUE(select->Bind(1, type));
  for (auto row = select->Step(); row && *row; row = select->Step()) {
    events.push_back({select->ColumnInt(0), select->ColumnText(1), select->ColumnText(2),
                      boost::json::parse(select->ColumnText(3)).as_object()});
  }
  return events;
}

}  // namespace kiosk_edge::testing
