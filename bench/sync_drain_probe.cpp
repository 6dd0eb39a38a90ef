#include "bench/sync_drain_probe.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/thread_pool.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <vector>

#include "common/strings.hpp"
#include "sync/profile_store/event_rules.hpp"

namespace kiosk_edge::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct ProcStat {
  pid_t ppid = -1;
  double own_seconds = 0;       // utime + stime
  double children_seconds = 0;  // cutime + cstime: reaped children
};

std::optional<ProcStat> ReadProcStat(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  const auto paren = line.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(paren + 2));
  std::vector<std::string> field;  // field[0] is stat's field 3 (state)
  for (std::string word; fields >> word && field.size() < 15;) field.push_back(word);
  if (field.size() < 15) return std::nullopt;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  ProcStat stat;
  stat.ppid = static_cast<pid_t>(std::stol(field[1]));
  stat.own_seconds = (std::stod(field[11]) + std::stod(field[12])) / tick;
  stat.children_seconds = (std::stod(field[13]) + std::stod(field[14])) / tick;
  return stat;
}

std::vector<std::string> ProcessIds() {
  std::vector<std::string> pids;
  std::error_code ignored;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ignored)) {
    const std::string name = entry.path().filename().string();
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) {
      pids.push_back(name);
    }
  }
  return pids;
}

double Ms(SteadyClock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

EventBatch BatchOf(std::span<const WireEvent> events, std::size_t first, std::size_t count,
                   const std::string& incarnation) {
  EventBatch batch;
  batch.kiosk_id = "bench-probe";
  batch.incarnation = incarnation;
  batch.events.assign(events.begin() + static_cast<std::ptrdiff_t>(first),
                      events.begin() + static_cast<std::ptrdiff_t>(first + count));
  for (std::size_t i = 0; i < count; ++i) {
    batch.events[i].seq = static_cast<std::int64_t>(first + i) + 1;
  }
  batch.first_seq = batch.events.front().seq;
  batch.last_seq = batch.events.back().seq;
  return batch;
}

}  // namespace

CpuTimes operator-(const CpuTimes& a, const CpuTimes& b) {
  return {a.bench - b.bench, a.profile_store - b.profile_store, a.postgres - b.postgres};
}

CpuTimes SampleCpu(pid_t profile_store, pid_t postmaster) {
  CpuTimes times;
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  times.bench = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  if (profile_store > 0) {
    if (auto stat = ReadProcStat(std::to_string(profile_store))) {
      times.profile_store = stat->own_seconds;
    }
  }
  // A backend reaped between reading the postmaster and listing its children would count in
  // neither: read the postmaster again and start over when its reaped total changed meanwhile.
  for (int attempt = 0; postmaster > 0 && attempt < 100; ++attempt) {
    const auto first = ReadProcStat(std::to_string(postmaster));
    if (!first) break;
    double children = 0;
    for (const std::string& pid : ProcessIds()) {
      if (auto stat = ReadProcStat(pid); stat && stat->ppid == postmaster) {
        children += stat->own_seconds;
      }
    }
    const auto second = ReadProcStat(std::to_string(postmaster));
    if (!second) break;
    if (second->children_seconds == first->children_seconds) {
      times.postgres = second->own_seconds + second->children_seconds + children;
      break;
    }
  }
  return times;
}

pid_t FindPostmaster(int port) {
  const std::string port_text = std::to_string(port);
  for (const std::string& pid : ProcessIds()) {
    std::ifstream in("/proc/" + pid + "/cmdline", std::ios::binary);
    std::vector<std::string> argv;
    for (std::string arg; std::getline(in, arg, '\0');) argv.push_back(arg);
    if (argv.empty() || !argv[0].ends_with("/postgres")) continue;
    for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
      if (argv[i] == "-p" && argv[i + 1] == port_text) return static_cast<pid_t>(std::stol(pid));
    }
  }
  return -1;
}

Result<StageTimes> TimeStages(std::span<const WireEvent> events, const HqIdentity& identity) {
  StageTimes times;
  SteadyClock::duration encode{}, decode{}, prepare{}, prepare_shared{};
  boost::asio::thread_pool helper(1);
  std::size_t gzip_bytes = 0, json_bytes = 0;
  for (std::size_t first = 0; first < events.size(); first += kMaxBatchEvents) {
    const std::size_t count = std::min(kMaxBatchEvents, events.size() - first);
    const auto t0 = SteadyClock::now();
    const EventBatch batch = BatchOf(events, first, count, "probe");
    auto body = EncodeBatch(batch);
    const auto t1 = SteadyClock::now();
    if (!body) return body.error().WithContext("encode");
    auto decoded = DecodeBatch(*body);
    const auto t2 = SteadyClock::now();
    if (!decoded) return decoded.error().WithContext("decode");
    if (auto valid = ValidateBatch(*decoded); !valid) return valid.error();
    const std::vector<PreparedEvent> prepared = PrepareEvents(*decoded, identity);
    const auto t3 = SteadyClock::now();
    for (const PreparedEvent& event : prepared) {
      if (event.rejection) {
        return Error(ErrorKind::kInternal, StrCat("HQ would reject event ", event.event->seq, " (",
                                                  event.event->type, "): ", *event.rejection));
      }
    }
    const auto t4 = SteadyClock::now();
    const std::vector<PreparedEvent> shared = PrepareEvents(*decoded, identity, &helper);
    prepare_shared += SteadyClock::now() - t4;
    if (shared.size() != prepared.size()) return Error(ErrorKind::kInternal, "shared prepare");
    encode += t1 - t0;
    decode += t2 - t1;
    prepare += t3 - t2;
    gzip_bytes += body->size();
    auto json = EncodeBatchJson(batch);
    if (json) json_bytes += json->size();
    ++times.batches;
  }
  // The part of PrepareEvents that opens each signup's sealed phone (X25519, HKDF, AES-GCM).
  SteadyClock::duration open{};
  std::size_t phones = 0;
  for (const WireEvent& event : events) {
    if (event.type != "signup") continue;
    boost::system::error_code error;
    const boost::json::value payload = boost::json::parse(event.payload_json, error);
    const boost::json::value* phone = error ? nullptr : payload.as_object().if_contains("phone");
    if (phone == nullptr || !phone->is_string()) continue;
    const auto start = SteadyClock::now();
    auto key = identity.ProfileKeyOfSealedPhone(phone->as_string());
    open += SteadyClock::now() - start;
    if (!key) return key.error();
    ++phones;
  }
  const double n = std::max(times.batches, 1);
  times.open_phones_ms = Ms(open) / n;
  times.phones_per_batch = static_cast<double>(phones) / n;
  times.encode_ms = Ms(encode) / n;
  times.decode_ms = Ms(decode) / n;
  times.prepare_ms = Ms(prepare) / n;
  times.prepare_shared_ms = Ms(prepare_shared) / n;
  times.gzip_bytes = static_cast<double>(gzip_bytes) / n;
  times.json_bytes = static_cast<double>(json_bytes) / n;
  return times;
}

Result<double> TimeDirectIngest(StoreBackend& store, std::span<const WireEvent> events,
                                const std::string& incarnation) {
  SteadyClock::duration total{};
  int batches = 0;
  for (std::size_t first = 0; first < events.size(); first += kMaxBatchEvents) {
    const std::size_t count = std::min(kMaxBatchEvents, events.size() - first);
    const EventBatch batch = BatchOf(events, first, count, incarnation);
    const auto start = SteadyClock::now();
    auto answer = store.Ingest(batch);
    total += SteadyClock::now() - start;
    if (!answer) return answer.error();
    if (answer->high_water != batch.last_seq || !answer->rejected.empty()) {
      return Error(ErrorKind::kInternal, StrCat("direct ingest answered high water ",
                                                answer->high_water, " for ", batch.last_seq));
    }
    ++batches;
  }
  return Ms(total) / std::max(batches, 1);
}

Result<double> FsyncMicros(const std::filesystem::path& dir, double seconds) {
  const std::filesystem::path file = dir / "fsync-probe";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error(ErrorKind::kIo, "cannot create " + file.string());
  constexpr std::size_t kBlock = 4096, kBlocks = 256;
  const std::string block(kBlock, 'x');
  bool ok = true;
  // Allocated first, as PostgreSQL's WAL segments are: the timed writes overwrite in place.
  for (std::size_t i = 0; i < kBlocks && ok; ++i) {
    ok = ::pwrite(fd, block.data(), kBlock, static_cast<off_t>(i * kBlock)) ==
         static_cast<ssize_t>(kBlock);
  }
  ok = ok && ::fsync(fd) == 0;
  int syncs = 0;
  const auto start = SteadyClock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  while (ok && SteadyClock::now() < end) {
    const auto offset = static_cast<off_t>((static_cast<std::size_t>(syncs) % kBlocks) * kBlock);
    ok = ::pwrite(fd, block.data(), kBlock, offset) == static_cast<ssize_t>(kBlock) &&
         ::fdatasync(fd) == 0;
    ++syncs;
  }
  const double elapsed =
      std::chrono::duration<double, std::micro>(SteadyClock::now() - start).count();
  ::close(fd);
  std::error_code ignored;
  std::filesystem::remove(file, ignored);
  if (!ok) return Error(ErrorKind::kIo, "write or fdatasync failed in " + dir.string());
  return elapsed / std::max(syncs, 1);
}

}  // namespace kiosk_edge::bench
