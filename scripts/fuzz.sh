#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer in build-fuzz, and runs each for FUZZ_SECONDS (default 30), two at a
# time, on a copy of its checked-in seed corpus in a temporary folder (nothing is written into the
# repository). Fails if any target crashes, leaks, hits undefined behaviour, breaks one of its
# checked properties, times out on an input, or does not run. The inputs that failed are kept in
# build-fuzz/artifacts/<target>/; reproduce one with build-fuzz/bin/<target> <file>.
#
# Usage: scripts/fuzz.sh [TARGET...]   (default: every target in tests/fuzz/CMakeLists.txt)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-30}"
build="build-fuzz"
all_targets=(channel_token_fuzz voucher_token_fuzz signup_form_fuzz sync_batch_fuzz
  sync_answer_fuzz config_bundle_fuzz config_file_fuzz)
targets=("$@")
((${#targets[@]})) || targets=("${all_targets[@]}")

echo "== fuzz: build (clang, ASan + UBSan + libFuzzer) =="
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
generator=()
[ -f "$build/CMakeCache.txt" ] || generator=(-G Ninja)
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug -DKIOSK_EDGE_FUZZ=ON \
  -DCMAKE_CXX_COMPILER=clang++-14 "${launcher[@]}" >/dev/null
cmake --build "$build" -j 2 --target "${targets[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs one target on its corpus copy; its log is $work/<target>.log, its exit code
# $work/<target>.rc.
run_target() {
  local target="$1" dir="$work/$1"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp tests/fuzz/corpus/"$target"/* "$dir/corpus/"
  local dict=()
  [ -f "tests/fuzz/dict/$target.dict" ] && dict=("-dict=tests/fuzz/dict/$target.dict")
  local rc=0
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$build/bin/$target" -max_total_time="$seconds" -detect_leaks=1 -timeout=10 \
    -print_final_stats=1 "${dict[@]}" -artifact_prefix="$dir/artifacts/" "$dir/corpus" \
    >"$dir.log" 2>&1 || rc=$?
  echo "$rc" >"$dir.rc"
}

echo "== fuzz: ${#targets[@]} targets, ${seconds} s each, two at a time =="
running=0
for target in "${targets[@]}"; do
  if ((running == 2)); then
    wait -n || true
    running=$((running - 1))
  fi
  run_target "$target" &
  running=$((running + 1))
done
wait

failed=()
for target in "${targets[@]}"; do
  log="$work/$target.log"
  rc=$(cat "$work/$target.rc" 2>/dev/null || echo missing)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" 2>/dev/null | tail -n 1)
  # A clean run exits 0 and ends with libFuzzer's "Done N runs in S second(s)".
  if [ "$rc" = 0 ] && grep -q '^Done [0-9]* runs' "$log" && [ "${runs:-0}" -gt 0 ]; then
    printf '  %-20s ok    %10s runs  %s\n' "$target" "$runs" \
      "$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)"
    continue
  fi
  failed+=("$target")
  printf '  %-20s FAIL  (exit %s)\n' "$target" "$rc"
  echo "---- $target: last lines of its log ----"
  tail -n 60 "$log" 2>/dev/null || echo "(no log: the target did not start)"
  if compgen -G "$work/$target/artifacts/*" >/dev/null; then
    mkdir -p "$build/artifacts/$target"
    cp "$work/$target/artifacts/"* "$build/artifacts/$target/"
    echo "---- failing inputs kept in $build/artifacts/$target/ ----"
    ls "$build/artifacts/$target/"
  fi
done

# The closing line in the plain "N passed, N failed" form test runners end with.
if ((${#failed[@]})); then
  echo "FUZZING FAILED: ${failed[*]}" >&2
  echo "fuzz: $((${#targets[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
  exit 1
fi
echo "fuzz: ${#targets[@]} passed, 0 failed"
