#include "agent/admin_status.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <memory>

#include "agent/admin_voucher.hpp"
#include "common/blocking.hpp"
#include "common/http_forms.hpp"
#include "common/json_fields.hpp"
#include "common/metrics.hpp"

namespace kiosk_edge {
namespace {

using boost::asio::awaitable;
using std::chrono::milliseconds;

constexpr milliseconds kPollInterval{20};

HttpResponse JsonError(unsigned status, std::string_view message) {
  return HttpResponse::Json(status,
                            boost::json::serialize(boost::json::object{{"error", message}}));
}

// The query parameter `name` as an integer in [0, max], `fallback` when absent; nullopt when it
// is not a number.
std::optional<std::int64_t> IntParameter(const HttpRequest& request, std::string_view name,
                                         std::int64_t fallback, std::int64_t max) {
  auto fields = ParseFormUrlEncoded(QueryOf(request.target));
  if (!fields) return std::nullopt;
  const auto text = FindField(*fields, name);
  if (!text) return fallback;
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || value < 0) return std::nullopt;
  return std::min(value, max);
}

boost::json::object SyncJson(const AdminStatusServices& services) {
  const HqSync* hq_sync = services.hq_sync->get();
  boost::json::object sync{{"enrolled", hq_sync != nullptr}};
  if (hq_sync == nullptr) return sync;
  const SyncStatus status = hq_sync->Status();
  sync["hq_reachable"] = status.hq_reachable;
  if (status.last_caught_up) sync["last_synced_ms"] = UnixMs(*status.last_caught_up);
  sync["last_error"] = status.last_error;
  sync["consecutive_failures"] = status.consecutive_failures;
  sync["rounds_finished"] = status.rounds_finished;
  sync["batches_sent"] = status.batches_sent;
  sync["events_sent"] = status.events_sent;
  sync["events_resent"] = status.events_resent;
  sync["dead_letters"] = status.dead_letters;
  if (status.config_version) sync["config_version"] = *status.config_version;
  if (status.clock_offset_ms) sync["clock_offset_ms"] = *status.clock_offset_ms;
  sync["client_certificate_not_after_ms"] = hq_sync->client_certificate_not_after_ms();
  if (status.certificate_renewed) {
    sync["client_certificate_renewed_ms"] = UnixMs(*status.certificate_renewed);
  }
  sync["client_certificate_renewal_error"] = status.certificate_renewal_error;
  return sync;
}

boost::json::object CameraJson(const CounterCamera* camera) {
  if (camera == nullptr) {
    return {
        {"state", ToString(CounterCameraState::kNotConfigured)}, {"device", ""}, {"message", ""}};
  }
  const CounterCameraSnapshot snapshot = camera->Snapshot();
  return {{"state", ToString(snapshot.state)},
          {"device", snapshot.device},
          {"message", snapshot.message}};
}

awaitable<HttpResponse> Status(const AdminStatusServices& services) {
  const auto read_stats = [journal = services.journal] { return journal->Stats(); };
  Result<JournalStats> stats = co_await RunBlocking(*services.blocking_pool, read_stats);
  if (!stats) co_return JsonError(500, stats.error().message());
  boost::json::object body{{"kiosk_id", stats->kiosk_id},
                           {"incarnation", stats->incarnation},
                           {"store_id", services.store_id},
                           {"now_ms", UnixMs(services.clock->WallNow())}};
  body["journal"] = {{"last_seq", stats->last_seq},
                     {"synced_seq", stats->synced_seq},
                     {"unsynced_count", stats->unsynced_count},
                     {"stored_count", stats->stored_count},
                     {"dead_letter_count", stats->dead_letter_count},
                     {"size_bytes", stats->disk_bytes},
                     {"budget_bytes", stats->max_disk_bytes}};
  body["sync"] = SyncJson(services);
  body["camera"] = CameraJson(services.camera);
  body["https"] = nullptr;
  if (const auto not_after_ms = services.phones_certificate_not_after_ms()) {
    body["https"] = {{"certificate_not_after_ms", *not_after_ms}};
  }
  co_return HttpResponse::Json(200, boost::json::serialize(body));
}

awaitable<HttpResponse> SyncNow(const AdminStatusServices& services, const HttpRequest& request,
                                bool renew_certificate) {
  HqSync* const hq_sync = services.hq_sync->get();  // once started, kept until the agent stops
  if (hq_sync == nullptr) {
    co_return JsonError(409, "this kiosk is not enrolled with HQ (kioskctl enroll)");
  }
  const auto timeout_ms = IntParameter(request, "timeout_ms", 10'000, 60'000);
  if (!timeout_ms) co_return JsonError(400, "timeout_ms must be a number of milliseconds");
  const std::int64_t started_before = hq_sync->Status().rounds_started;
  if (renew_certificate) {
    hq_sync->RenewCertificateNow();
  } else {
    hq_sync->SyncNow();
  }
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(*timeout_ms);
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  while (true) {
    const SyncStatus status = hq_sync->Status();
    if (status.rounds_finished > started_before) {
      boost::json::object body = SyncJson(services);
      const bool failed = renew_certificate ? !status.certificate_renewal_error.empty()
                                            : status.consecutive_failures != 0;
      body["outcome"] = failed ? "failed" : (renew_certificate ? "renewed" : "synced");
      co_return HttpResponse::Json(200, boost::json::serialize(body));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      co_return JsonError(504, "no sync round finished in time; the client keeps trying");
    }
    timer.expires_after(kPollInterval);
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
}

awaitable<HttpResponse> ReloadHqEnrollment(const AdminStatusServices& services) {
  auto reloaded = services.hq_sync->Reload("kioskctl enroll");
  if (!reloaded) {
    const Error& error = reloaded.error();
    co_return JsonError(error.kind() == ErrorKind::kConflict ? 409 : 500, error.message());
  }
  co_return HttpResponse::Json(200,
                               boost::json::serialize(boost::json::object{{"message", *reloaded}}));
}

boost::json::object EventJson(const JournalEvent& event) {
  boost::json::object json{{"seq", event.seq},
                           {"type", event.type},
                           {"occurred_at_ms", event.occurred_at_ms},
                           {"channel", nullptr}};
  if (event.channel_id) json["channel"] = *event.channel_id;
  return json;
}

awaitable<HttpResponse> Events(const AdminStatusServices& services, const HttpRequest& request) {
  const auto count = IntParameter(request, "n", 20, 1000);
  const auto after = IntParameter(request, "after", -1, INT64_MAX);
  const auto wait_ms = IntParameter(request, "wait_ms", 0, 30'000);
  if (!count || !after || !wait_ms) {
    co_return JsonError(400, "n, after and wait_ms must be non-negative numbers");
  }
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(*wait_ms);
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  while (true) {
    const auto read = [journal = services.journal, count = *count, after = *after] {
      const std::int64_t last = journal->Marks().last_seq;
      const std::int64_t from = after >= 0 ? after : std::max<std::int64_t>(0, last - count);
      return journal->ReadAfter(from, static_cast<std::size_t>(count));
    };
    auto events = co_await RunBlocking(*services.blocking_pool, read);
    if (!events) co_return JsonError(500, events.error().message());
    if (!events->empty() || std::chrono::steady_clock::now() >= deadline || *count == 0) {
      boost::json::array list;
      for (const JournalEvent& event : *events) list.push_back(EventJson(event));
      co_return HttpResponse::Json(
          200, boost::json::serialize(boost::json::object{{"events", std::move(list)}}));
    }
    timer.expires_after(kPollInterval * 5);
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
}

awaitable<HttpResponse> Voucher(const AdminStatusServices& services, const HttpRequest& request) {
  boost::system::error_code parse_error;
  const boost::json::value parsed = boost::json::parse(request.body, parse_error);
  if (parse_error || !parsed.is_object()) co_return JsonError(400, "send a JSON object");
  const std::string code = JsonString(parsed.as_object(), "code");
  if (code.empty() || code.size() > kMaxVoucherTokenLength) {
    co_return JsonError(400, "code: a voucher code (V1...) is required");
  }
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(services.clock->WallNow().time_since_epoch())
          .count();
  const auto describe = [journal = services.journal, trust = services.trust->Current(),
                         store = services.store_id, now_s,
                         code] { return DescribeVoucher(*journal, *trust, store, now_s, code); };
  auto body = co_await RunBlocking(*services.blocking_pool, describe);
  if (!body) co_return JsonError(500, body.error().message());
  co_return HttpResponse::Json(200, boost::json::serialize(*body));
}

awaitable<HttpResponse> Metrics(KioskMetrics* metrics, Journal* journal,
                                boost::asio::thread_pool* pool) {
  const auto render = [metrics, journal] { return metrics->RefreshAndRender(*journal); };
  Result<std::string> text = co_await RunBlocking(*pool, render);
  if (!text) co_return HttpResponse::Text(500, text.error().message() + "\n");
  HttpResponse response = HttpResponse::Text(200, std::move(*text));
  response.content_type = std::string(kPrometheusContentType);
  co_return response;
}

awaitable<HttpResponse> RouteStatus(std::shared_ptr<const AdminStatusServices> services,
                                    HttpHandler next, HttpRequest request) {
  const std::string_view path = request.Path();
  const bool get = request.method == "GET", post = request.method == "POST";
  if (path == "/admin/status" && get) co_return co_await Status(*services);
  if (path == "/admin/sync" && post) co_return co_await SyncNow(*services, request, false);
  if (path == "/admin/sync/certificate" && post) {
    co_return co_await SyncNow(*services, request, true);
  }
  if (path == "/admin/sync/enrollment" && post) co_return co_await ReloadHqEnrollment(*services);
  if (path == "/admin/events" && get) co_return co_await Events(*services, request);
  if (path == "/admin/voucher" && post) co_return co_await Voucher(*services, request);
  if (path == "/metrics" && get) {
    co_return co_await Metrics(services->metrics, services->journal, services->blocking_pool);
  }
  auto answer = next(std::move(request));
  co_return co_await std::move(answer);
}

awaitable<HttpResponse> RouteLoopbackMetrics(KioskMetrics* metrics, Journal* journal,
                                             boost::asio::thread_pool* pool, HttpHandler next,
                                             HttpRequest request) {
  if (request.Path() == "/metrics" && IsLoopbackAddress(request.remote_address)) {
    if (request.method != "GET") {
      HttpResponse refused = HttpResponse::Text(405, "use GET\n");
      refused.headers.emplace_back("Allow", "GET");
      co_return refused;
    }
    co_return co_await Metrics(metrics, journal, pool);
  }
  auto answer = next(std::move(request));
  co_return co_await std::move(answer);
}

}  // namespace

bool IsLoopbackAddress(std::string_view address) {
  return address.starts_with("127.") || address == "::1" || address.starts_with("::ffff:127.");
}

HttpHandler WithAdminStatusRoutes(AdminStatusServices services, HttpHandler next) {
  auto shared = std::make_shared<const AdminStatusServices>(std::move(services));
  return [shared, next = std::move(next)](HttpRequest request) {
    return RouteStatus(shared, next, std::move(request));
  };
}

HttpHandler WithLoopbackMetrics(KioskMetrics* metrics, Journal* journal,
                                boost::asio::thread_pool* blocking_pool, HttpHandler next) {
  return [=](HttpRequest request) {
    return RouteLoopbackMetrics(metrics, journal, blocking_pool, next, std::move(request));
  };
}

}  // namespace kiosk_edge
