#pragma once

// Where a profile-store process under test keeps its data, on either backend: its config, a
// reader of its tables, and its backup and restore, for tests that run the executable on both
// (test_stores.hpp's Backend):
//
//   HqDatabase storage(GetParam(), state_dir);
//   ASSERT_TRUE(storage.ok()) << storage.error();
//   const auto config = dir.Write("profile-store.toml", storage.ConfigToml());
//   RunningProfileStore hq(state_dir, 0, config);
//
// SQLite: profile-store.db in the state folder, as without a config. PostgreSQL: a fresh database
// of the test's own in the shared throwaway cluster (profile-store's schema name is fixed, so
// tests sharing the cluster cannot share a database).

#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/sqlite.hpp"
#include "common/strings.hpp"
#include "support/child_process.hpp"
#include "support/test_stores.hpp"
#include "sync/profile_store/pg_connection.hpp"

namespace kiosk_edge::testing {

class HqDatabase {
 public:
  HqDatabase(Backend backend, std::filesystem::path state_dir)
      : backend_(backend), sqlite_file_(std::move(state_dir) / "profile-store.db") {
    if (backend_ == Backend::kPostgres) error_ = CreatePostgresDatabase();
  }

  // False when the PostgreSQL database could not be made; error() says why.
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // The [storage] table of profile-store.toml.
  std::string ConfigToml() const {
    if (backend_ == Backend::kSqlite) return "[storage]\nbackend = \"sqlite\"\n";
    return StrCat("[storage]\nbackend = \"postgres\"\npostgres_url = \"", conninfo_, "\"\n");
  }

  // A session of its own on the PostgreSQL database, in profile-store's schema.
  Result<PgConnection> ConnectPostgres() const {
    auto connection = PgConnection::Connect(conninfo_);
    if (!connection) return connection.error();
    if (auto path = connection->Exec("SET search_path TO profile_store"); !path) {
      return path.error();
    }
    return connection;
  }

  // Every row of `sql`, its first `columns` columns as text ("" for NULL), with $1, $2, ...
  // bound to `params` in order (both backends read "$N" so), in profile-store's schema.
  Result<std::vector<std::vector<std::string>>> Rows(std::string_view sql,
                                                     const std::vector<std::string>& params,
                                                     int columns) const {
    std::vector<std::vector<std::string>> rows;
    if (backend_ == Backend::kPostgres) {
      auto connection = ConnectPostgres();
      if (!connection) return connection.error();
      auto result = connection->Query(sql, PgParams(params.begin(), params.end()));
      if (!result) return result.error();
      for (int row = 0; row < result->rows(); ++row) {
        auto& cells = rows.emplace_back();
        for (int column = 0; column < columns; ++column) {
          cells.push_back(result->Text(row, column));
        }
      }
      return rows;
    }
    auto db = Database::Open(sqlite_file_, DatabaseOptions{.read_only = true});
    if (!db) return db.error();
    auto select = db->Prepare(sql);
    if (!select) return select.error();
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (auto bound = select->Bind(static_cast<int>(i + 1), std::string_view(params[i])); !bound) {
        return bound.error();
      }
    }
    auto step = select->Step();
    for (; step && *step; step = select->Step()) {
      auto& cells = rows.emplace_back();
      for (int column = 0; column < columns; ++column) cells.push_back(select->ColumnText(column));
    }
    if (!step) return step.error();
    return rows;
  }

  // The store in this process, as profile-store opens it (PostgreSQL: one connection), to seed
  // it before profile-store starts.
  Result<std::unique_ptr<StoreBackend>> OpenStore(const HqIdentity& identity,
                                                  const Clock& clock) const {
    return OpenStoreOn(backend_, sqlite_file_, {conninfo_, "profile_store", 1}, identity, clock);
  }

  // Ends every session on the PostgreSQL database (pg_terminate_backend), as a restart or
  // failover of the server would; how many it ended.
  Result<std::int64_t> EndPostgresSessions() const {
    auto admin = ConnectToSharedCluster();
    if (!admin) return admin.error();
    return EndSessions(*admin, SessionsOf::kDatabase, database_);
  }

  // The PostgreSQL database refuses connections and its sessions end (`down`), as when its server
  // is stopped; or it takes connections again.
  Result<void> SetPostgresDown(bool down) const {
    return AlterPostgresDatabase(down ? "ALLOW_CONNECTIONS false" : "ALLOW_CONNECTIONS true", down);
  }

  // The PostgreSQL database takes no writes (`read_only`: default_transaction_read_only, and its
  // sessions end, to come back read-only as on a standby), or takes them again (sessions kept).
  Result<void> SetPostgresReadOnly(bool read_only) const {
    return AlterPostgresDatabase(read_only ? "SET default_transaction_read_only = on"
                                           : "RESET default_transaction_read_only",
                                 read_only);
  }

  // A backup of the store, taken while profile-store is stopped, into the empty folder `backup`;
  // and the store put back from it, as docs/operations.md says. SQLite: the files copied (a
  // copy's restore deletes the -shm and -device-scans files too). PostgreSQL: pg_dump -Fc -n
  // profile_store, and pg_restore into the database dropped and created again.
  Result<void> Backup(const std::filesystem::path& backup) const {
    namespace fs = std::filesystem;
    if (backend_ == Backend::kPostgres) {
      return RunPg({"pg_dump", "-Fc", "-n", "profile_store", "-f", (backup / "dump").string(), "-d",
                    conninfo_});
    }
    for (const char* suffix : {"", "-wal"}) {
      const fs::path file = sqlite_file_.string() + suffix;
      std::error_code error;
      if (fs::exists(file)) fs::copy_file(file, backup / file.filename(), error);
      if (error) return Error(ErrorKind::kIo, StrCat("backup: ", error.message()));
    }
    return {};
  }
  Result<void> Restore(const std::filesystem::path& backup) const {
    namespace fs = std::filesystem;
    if (backend_ == Backend::kPostgres) {
      auto admin = ConnectToSharedCluster();
      if (!admin) return admin.error();
      if (auto emptied = admin->Exec(StrCat("DROP DATABASE ", database_)); !emptied) {
        return emptied.error();
      }
      if (auto made = admin->Exec(StrCat("CREATE DATABASE ", database_)); !made) {
        return made.error();
      }
      return RunPg({"pg_restore", "-d", conninfo_, (backup / "dump").string()});
    }
    std::error_code error;
    for (const char* suffix : {"", "-wal", "-shm", "-device-scans"}) {
      fs::remove(sqlite_file_.string() + suffix, error);
    }
    for (const fs::directory_entry& file : fs::directory_iterator(backup, error)) {
      fs::copy_file(file.path(), sqlite_file_.parent_path() / file.path().filename(), error);
      if (error) break;
    }
    if (error) return Error(ErrorKind::kIo, StrCat("restore: ", error.message()));
    return {};
  }

 private:
  // Runs one of PostgreSQL's programs (from the folder the cluster's come from) to completion.
  static Result<void> RunPg(std::initializer_list<std::string> args) {
    const auto bin = PostgresCluster::FindBinDir();
    if (!bin) return Error(ErrorKind::kUnavailable, "PostgreSQL's programs not found");
    std::vector<std::string> argv(args);
    argv[0] = (*bin / argv[0]).string();
    const CommandResult run = RunProgram(argv);
    if (run.exit_code != 0) {
      return Error(ErrorKind::kInternal, StrCat(*args.begin(), " failed: ", run.err));
    }
    return {};
  }

  // ALTER DATABASE with `change`, then, with `end_sessions`, its sessions ended.
  Result<void> AlterPostgresDatabase(std::string_view change, bool end_sessions) const {
    auto admin = ConnectToSharedCluster();
    if (!admin) return admin.error();
    if (auto set = admin->Exec(StrCat("ALTER DATABASE ", database_, " ", change)); !set) {
      return set.error();
    }
    if (!end_sessions) return {};
    auto ended = EndSessions(*admin, SessionsOf::kDatabase, database_);
    if (!ended) return ended.error();
    return {};
  }

  std::string CreatePostgresDatabase() {
    auto& cluster = SharedPostgresCluster();
    if (!cluster.ok()) return cluster.error();
    database_ = cluster.FreshSchema();
    auto admin = ConnectToSharedCluster();
    if (!admin) return admin.error().message();
    if (auto made = admin->Exec("CREATE DATABASE " + database_); !made) {
      return made.error().message();
    }
    conninfo_ = StrCat(cluster.conninfo(), " dbname=", database_);  // libpq: the last one wins
    return {};
  }

  Backend backend_;
  std::filesystem::path sqlite_file_;
  std::string database_, conninfo_;  // PostgreSQL only
  std::string error_;
};

}  // namespace kiosk_edge::testing
