# Sourced by scripts/test.sh. run_gtest_shards EXE SHARDS FILTER: runs the GoogleTest executable
# EXE split into SHARDS processes at once (GoogleTest's own sharding), with --gtest_filter=FILTER.
# Each shard runs its share of the tests one after another in one process and writes its log to a
# temporary folder; a shard that runs longer than GTEST_SHARD_SECONDS (default 1800) is stopped.
# Prints each shard's summary; on failure also the failed tests and the whole log of each failed
# shard. Returns non-zero if any shard failed, was stopped, or ran no test.
run_gtest_shards() {
  local exe="$1" shards="$2" filter="$3" seconds="${GTEST_SHARD_SECONDS:-1800}"
  local logs index pids=() failed=0
  logs=$(mktemp -d)
  for ((index = 0; index < shards; index++)); do
    GTEST_TOTAL_SHARDS="$shards" GTEST_SHARD_INDEX="$index" \
      timeout --kill-after=10 "$seconds" "$exe" --gtest_filter="$filter" \
      >"$logs/shard-$index.log" 2>&1 &
    pids+=($!)
  done
  for ((index = 0; index < shards; index++)); do
    local rc=0 log="$logs/shard-$index.log"
    wait "${pids[$index]}" || rc=$?
    local summary
    summary=$(grep -E '^\[ *(PASSED|SKIPPED|FAILED) *\]|tests? from .* ran' "$log" || true)
    echo "shard $((index + 1))/$shards (exit $rc):"
    echo "$summary" | sed 's/^/  /'
    if ((rc == 0)) && ! grep -q '^\[  PASSED  \] [1-9]' "$log"; then
      echo "  ran no test"
      rc=1
    fi
    if ((rc != 0)); then
      failed=1
      ((rc != 124)) || echo "  stopped after $seconds s; the last test it started:" \
        "$(grep '^\[ RUN' "$log" | tail -1)"
      echo "---- shard $((index + 1)) log ----"
      cat "$log"
      echo "---- end of shard $((index + 1)) log ----"
    fi
  done
  rm -rf "$logs"
  return "$failed"
}
