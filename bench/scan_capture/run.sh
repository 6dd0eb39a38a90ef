#!/usr/bin/env bash
# Scan capture over HTTP: kiosk-agent against a Node.js peer (fastify + better-sqlite3,
# journal_mode=WAL, synchronous=FULL, one transaction per scan), both answering
# `GET /C/<token>` only after the scan's row is committed. wrk (scan.lua: mixed user agents,
# half the requests with a device cookie) drives each server in turn, on 127.0.0.1, at each
# connection count for a fixed time after a short warm-up. Prints a markdown table: 2xx
# responses per second, wrk's p50 and p99, the rows each server actually stored during the
# measurement (must be >= its 2xx count: a server that acknowledged scans it did not store
# would show here), CPU used by the server and by wrk (% of one core), the load average and a
# durable 4 KiB append's time just before the measurement (both move with other work on the
# machine); then the whole-run stored-row check after SIGTERM, and the ratios against the goals
# (>= 3x the peer's 2xx/s; kiosk-agent p99 <= 10 ms at the largest connection count).
# wrk's and the servers' own output go to stderr.
#
#   bench/scan_capture/run.sh [--dir DIR] [--seconds N] [--warmup N] [--connections "64 256"]
#                             [--threads N] [--agent PATH] [--only agent|peer]
#
# --dir      where both servers keep their databases (default build/bench-scan-capture); it
#            must be on the disk to measure, not tmpfs. Its agent/ and peer/ subfolders are
#            deleted and made anew at every run.
# --seconds  length of each measurement (default 10); --warmup: of each warm-up (default 3)
# --threads  wrk threads (default 2). wrk runs on the same machine as the server and takes its
#            share of the same cores.
# --agent    the kiosk-agent binary (default build/bin/kiosk-agent)
#
# Needs (this script installs and builds nothing):
#   scripts/install-deps.sh && cmake -S . -B build && cmake --build build -j2   (kiosk-agent)
#   scripts/install-bench-deps.sh   (wrk, sqlite3, bench/scan_capture/node_modules)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

dir="$repo/build/bench-scan-capture"
seconds=10
warmup=3
connections="64 256"
threads=2
agent_bin="$repo/build/bin/kiosk-agent"
only=""

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

while (($#)); do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --agent) agent_bin="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done

# ---- what must already be there ----
problems=0
need() {  # need <message> <check command...>
  local message="$1"
  shift
  if ! "$@" >/dev/null 2>&1; then
    echo "run.sh: $message" >&2
    problems=1
  fi
}
need "wrk is missing: run scripts/install-bench-deps.sh (apt-get install wrk)" command -v wrk
need "the sqlite3 shell is missing: run scripts/install-bench-deps.sh" command -v sqlite3
need "node is missing (Node.js 20 or later)" command -v node
need "bench/scan_capture/node_modules is missing: run scripts/install-bench-deps.sh" \
  test -f "$here/node_modules/better-sqlite3/build/Release/better_sqlite3.node" \
  -a -f "$here/node_modules/fastify/package.json"
need "$agent_bin is missing: cmake -S . -B build && cmake --build build -j2" test -x "$agent_bin"
((problems == 0)) || exit 1

mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
fstype="$(stat -f -c %T "$dir")"
if [ "$fstype" = "tmpfs" ] || [ "$fstype" = "ramfs" ]; then
  echo "run.sh: $dir is on $fstype, where fsync costs nothing; give --dir on a real disk" >&2
  exit 1
fi

# ---- servers ----
server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# start_server <name> <out file> <command...>: starts it and sets `url` (the channel code) and
# `origin` from the banner's "channel code:" line for the Elevator 3 poster.
start_server() {
  local name="$1" out="$2"
  shift 2
  "$@" >"$out" 2>"${out%.out}.err" &
  server_pid=$!
  url=""
  for _ in $(seq 1 150); do
    url="$(awk '/channel code:/ && /EL3-POSTER-V2/ { print $3; exit }' "$out")"
    [ -n "$url" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "run.sh: $name exited at start:" >&2
      cat "${out%.out}.err" >&2
      exit 1
    fi
    sleep 0.1
  done
  if [ -z "$url" ]; then
    echo "run.sh: $name printed no channel code within 15 s" >&2
    exit 1
  fi
  # wrk wants a lower-case scheme and host; the path stays as printed (upper case, as a QR
  # scanner sends it).
  origin="$(echo "$url" | sed -E 's#^HTTP://([^/]+)/.*#http://\1#' | tr '[:upper:]' '[:lower:]')"
  path="/${url#HTTP://*/}"
}

# rows <database> <sql>
rows() { sqlite3 -cmd '.timeout 5000' "$1" "$2"; }

# CPU time (user + system, in clock ticks) the server has used so far.
ticks_per_s="$(getconf CLK_TCK)"
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }

# What one durable small append costs on this disk right now: milliseconds per 4 KiB write with
# O_DSYNC (100 writes appended to a new file). The peer pays about this per scan, and every
# group commit of kiosk-agent pays it once; other work on the machine moves it a lot.
fsync_probe() {
  local probe="$dir/fsync-probe" s
  s="$(dd if=/dev/zero of="$probe" bs=4k count=100 oflag=dsync 2>&1 | awk '/copied/ { print $(NF-3) }')"
  rm -f "$probe"
  awk -v s="$s" 'BEGIN { printf "%.2f", s * 1000 / 100 }'
}

# ---- measurement ----
results=()  # "name connections 2xx/s p50_ms p99_ms 2xx stored non2xx socket_errors cpu% ..."
totals=()   # "name rows-after-stop 2xx-over-the-server's-whole-run"
total_ok=0

# measure <name> <database> <count sql>
measure() {
  local name="$1" db="$2" sql="$3"
  echo "== $name: warm-up, $warmup s at 64 connections" >&2
  total_ok="$(wrk -t"$threads" -c64 -d"${warmup}s" -s "$here/scan.lua" "$origin" -- "$path" |
    awk '/^RESULT / { for (i = 2; i <= NF; ++i) { split($i, kv, "="); v[kv[1]] = kv[2] }
                      print v["requests"] - v["non2xx"] }')"
  for c in $connections; do
    sleep 1
    local before after out line report_line
    before="$(rows "$db" "$sql")"
    local load1 dsync_ms
    load1="$(cut -d' ' -f1 /proc/loadavg)"
    dsync_ms="$(fsync_probe)"
    echo "== $name: $c connections, $seconds s (load average $load1," \
      "durable 4 KiB append $dsync_ms ms)" >&2
    local cpu0
    cpu0="$(cpu_ticks)"
    # `times`, run by the substitution's own subshell: its second line is the user and system
    # time of that subshell's children, i.e. wrk's.
    out="$(wrk -t"$threads" -c"$c" -d"${seconds}s" --timeout 5s --latency -s "$here/scan.lua" \
      "$origin" -- "$path"; times)"
    out="$(echo "$out" | sed '$s/^/WRKCPU /' | sed '/^[0-9]*m[0-9.]*s [0-9]*m[0-9.]*s$/d')"
    while IFS= read -r report_line; do echo "   $report_line"; done <<<"$out" >&2  # wrk's report
    local cpu1
    cpu1="$(cpu_ticks)"
    sleep 1  # requests in flight when wrk stopped finish (and are stored) before the count
    after="$(rows "$db" "$sql")"
    line="$(echo "$out" | grep '^RESULT ')"
    field() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=\([0-9]*\)$/\1/p"; }
    local requests non2xx duration_us p50_us p99_us socket_errors
    requests="$(field requests)"
    non2xx="$(field non2xx)"
    duration_us="$(field duration_us)"
    p50_us="$(field p50_us)"
    p99_us="$(field p99_us)"
    socket_errors=$(($(field connect) + $(field read) + $(field write) + $(field timeout)))
    local ok=$((requests - non2xx))
    total_ok=$((total_ok + ok))
    local rps
    rps="$(awk -v ok="$ok" -v us="$duration_us" 'BEGIN { printf "%.0f", ok / (us / 1e6) }')"
    local wrk_pct
    wrk_pct="$(echo "$out" | awk -v us="$duration_us" '/^WRKCPU / {
      t = 0
      for (i = 2; i <= 3; ++i) { split($i, p, "m"); t += p[1] * 60 + p[2] }
      printf "%.0f", 100 * t / (us / 1e6) }')"
    local cpu_pct
    cpu_pct="$(awk -v t=$((cpu1 - cpu0)) -v hz="$ticks_per_s" -v us="$duration_us" \
      'BEGIN { printf "%.0f", 100 * (t / hz) / (us / 1e6) }')"
    results+=("$name $c $rps $(awk -v u="$p50_us" 'BEGIN{printf "%.2f", u/1000}') \
$(awk -v u="$p99_us" 'BEGIN{printf "%.2f", u/1000}') $ok $((after - before)) $non2xx \
$socket_errors $cpu_pct $wrk_pct $load1 $dsync_ms")
  done
}

echo "scan capture: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(uname -r)," \
  "data in $dir ($(findmnt -n -o FSTYPE --target "$dir" 2>/dev/null || echo "$fstype")" \
  "on $(df --output=source "$dir" | tail -1)); wrk -t$threads on the same cores" >&2

if [ "$only" != "peer" ]; then
  rm -rf "$dir/agent"
  mkdir -p "$dir/agent"
  cat >"$dir/agent/kiosk-agent.toml" <<'EOF'
# scan-capture benchmark: serve every wrk connection (the default cap is 256).
[http]
max_connections = 1024
EOF
  start_server kiosk-agent "$dir/agent/agent.out" \
    "$agent_bin" --state-dir "$dir/agent/state" --port 0 --config "$dir/agent/kiosk-agent.toml"
  echo "kiosk-agent: $(head -1 "$dir/agent/agent.out"); SQLite $(sqlite3 --version | cut -d' ' -f1)" \
    "(the system library)" >&2
  agent_sql="SELECT count(*) FROM events WHERE type = 'scan'"
  measure kiosk-agent "$dir/agent/state/journal.db" "$agent_sql"
  stop_server
  totals+=("kiosk-agent $(rows "$dir/agent/state/journal.db" "$agent_sql") $total_ok")
fi

if [ "$only" != "agent" ]; then
  rm -rf "$dir/peer"
  mkdir -p "$dir/peer"
  start_server peer "$dir/peer/peer.out" node "$here/peer_server.mjs" --dir "$dir/peer" --port 0
  echo "peer: node $(node --version), fastify $(node -p "require('$here/node_modules/fastify/package.json').version"), better-sqlite3" \
    "$(node -p "require('$here/node_modules/better-sqlite3/package.json').version") ($(sed -n 2p "$dir/peer/peer.out" | sed 's/^ *//; s/, db .*//'))" >&2
  measure peer "$dir/peer/peer.db" "SELECT count(*) FROM events"
  stop_server
  totals+=("peer $(rows "$dir/peer/peer.db" "SELECT count(*) FROM events") $total_ok")
fi

# ---- report ----
echo
echo "| server | connections | 2xx/s | p50 ms | p99 ms | 2xx responses | rows stored | stored ≥ 2xx | non-2xx | socket errors | server CPU | wrk CPU | load avg | 4 KiB dsync ms |"
echo "|---|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|---:|---:|---:|"
declare -A rps_of p99_of
for r in "${results[@]}"; do
  read -r name c rps p50 p99 ok stored non2xx sockerr cpu_pct wrk_pct load1 dsync_ms <<<"$r"
  rps_of["$name $c"]="$rps"
  p99_of["$name $c"]="$p99"
  check="yes"
  ((stored >= ok)) || check="**NO**"
  printf '| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s%% | %s%% | %s | %s |\n' "$name" "$c" \
    "$(printf "%'d" "$rps")" "$p50" "$p99" "$(printf "%'d" "$ok")" "$(printf "%'d" "$stored")" \
    "$check" "$non2xx" "$sockerr" "$cpu_pct" "$wrk_pct" "$load1" "$dsync_ms"
done
echo
for t in "${totals[@]}"; do
  read -r name stored ok <<<"$t"
  verdict="stored ≥ acknowledged"
  ((stored >= ok)) || verdict="**FEWER ROWS THAN 2xx RESPONSES**"
  echo "- $name, whole run (warm-up included), after SIGTERM: $stored scans stored for $ok 2xx" \
    "responses: $verdict"
done
if [ -z "$only" ]; then
  for c in $connections; do
    ours="${rps_of["kiosk-agent $c"]}"
    peer="${rps_of["peer $c"]}"
    awk -v c="$c" -v o="$ours" -v p="$peer" -v p99="${p99_of["kiosk-agent $c"]}" 'BEGIN {
      printf "- %d connections: kiosk-agent / peer = %.2f× (goal ≥ 3×: %s); kiosk-agent p99 %s ms\n",
        c, o / p, (o >= 3 * p ? "met" : "not met"), p99 }'
  done
  last="${connections##* }"
  awk -v p99="${p99_of["kiosk-agent $last"]}" -v c="$last" 'BEGIN {
    printf "- p99 ≤ 10 ms at %d connections: %s\n", c, (p99 <= 10 ? "met" : "not met") }'
fi
