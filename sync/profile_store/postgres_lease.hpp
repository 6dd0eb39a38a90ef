#pragma once

// PostgresStore's pooled-session lease. Private to PostgresStore's files.

#include <memory>

#include "sync/profile_store/postgres_session.hpp"
#include "sync/profile_store/postgres_store.hpp"

namespace kiosk_edge {

class PostgresStore::Lease {
 public:
  Lease(PostgresStore& store, std::unique_ptr<PostgresSession> session)
      : store_(&store), session_(std::move(session)) {}
  Lease(Lease&& other) noexcept = default;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  Lease& operator=(Lease&&) = delete;
  ~Lease();
  PostgresSession& operator*() const { return *session_; }
  PostgresSession* operator->() const { return session_.get(); }

 private:
  PostgresStore* store_;
  std::unique_ptr<PostgresSession> session_;
};

}  // namespace kiosk_edge
