#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of fuzz/ (issue 18). Used by `make fuzz`, `make
# fuzz-smoke` and .ci/run; see fuzz/README.md.
#
#   fuzz/run.sh build                  configure (clang++) and build into $FUZZ_BUILD_DIR
#   fuzz/run.sh run SECONDS [TARGET…]  each target: its regressions and seeds once, then
#                                      SECONDS of fuzzing; fails on any finding
#
# Environment: FUZZ_BUILD_DIR (build-fuzz), JOBS (compile jobs, 2), FUZZ_PARALLEL (targets run at
# once, 2), FUZZ_TARGETS (instead of TARGET… arguments; default: all).
# The working corpus grows in $FUZZ_BUILD_DIR/corpus/<target> (seeded from fuzz/corpus/<target>);
# findings land in $FUZZ_BUILD_DIR/artifacts/<target>/ and the run fails. A table of coverage
# (libFuzzer's `cov:` edges), executions per second and CPU seconds ends every run and is kept in
# $FUZZ_BUILD_DIR/summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=${JOBS:-2}
parallel=${FUZZ_PARALLEL:-2}

all_targets=(campaign_json csv_reader template config duration iso_time codec_getxapi codec_twitterapi_io
             codec_tweetapi codec_x_api codec_inbox x_oauth url sim_scenario)

# Per target: dictionary and the largest input worth generating.
dict_of() {
  case $1 in
    campaign_json) echo campaign_json ;;
    csv_reader) echo csv ;;
    template) echo template ;;
    config) echo toml ;;
    duration | iso_time) echo time ;;
    codec_* | x_oauth) echo codec ;;
    url) echo url ;;
    sim_scenario) echo scenario ;;
  esac
}
max_len_of() {
  case $1 in
    campaign_json | template) echo 12000 ;;  # past the parser's 4 KiB carry and 10,000-character messages
    codec_*) echo 9000 ;;                    # past glimpse()'s 4 KiB scrub window
    csv_reader | config | sim_scenario | x_oauth) echo 6000 ;;
    url) echo 600 ;;
    duration | iso_time) echo 80 ;;
  esac
}

do_build() {
  command -v clang++ >/dev/null || { echo "fuzz: clang++ is missing (make bootstrap installs clang)" >&2; exit 1; }
  cmake -S fuzz -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ >/dev/null
  cmake --build "$build" -j "$jobs"
}

# run_one TARGET SECONDS: writes $build/logs/TARGET.{log,time,status}
run_one() {
  local t=$1 seconds=$2 bin=$build/fuzz_$1
  local corpus=$build/corpus/$t artifacts=$build/artifacts/$t log=$build/logs/$t.log
  mkdir -p "$corpus" "$artifacts"
  cp -n fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  # 1. Every regression input and seed once: what was found before must stay fixed.
  local inputs=()
  for f in fuzz/regressions/"$t"/* fuzz/corpus/"$t"/*; do [[ -f $f ]] && inputs+=("$f"); done
  if ((${#inputs[@]})) && ! "$bin" -runs=1 "${inputs[@]}" >"$build/logs/$t.replay.log" 2>&1; then
    echo "failed on a regression or seed input (see $build/logs/$t.replay.log)" >"$build/logs/$t.status"
    return 0
  fi
  # 2. Fuzz. TIMEFORMAT makes `time` print user and system CPU seconds.
  local TIMEFORMAT='%U %S' status=0
  { time "$bin" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len="$(max_len_of "$t")" -dict="fuzz/dict/$(dict_of "$t").dict" -artifact_prefix="$artifacts/" \
      -print_final_stats=1 >"$log" 2>&1 || status=$?; } 2>"$build/logs/$t.time"
  if ((status != 0)); then
    echo "FINDING (exit $status): $(ls -t "$artifacts" | head -1 | sed "s|^|$artifacts/|")" >"$build/logs/$t.status"
  else
    echo ok >"$build/logs/$t.status"
  fi
}

do_run() {
  local seconds=${1:?usage: fuzz/run.sh run SECONDS [TARGET...]}
  shift
  local targets=("$@")
  ((${#targets[@]})) || read -r -a targets <<<"${FUZZ_TARGETS:-${all_targets[*]}}"
  for t in "${targets[@]}"; do
    [[ -x $build/fuzz_$t ]] || { echo "fuzz: $build/fuzz_$t is not built (fuzz/run.sh build)" >&2; exit 1; }
  done
  rm -rf "$build/logs"
  mkdir -p "$build/logs"
  echo "fuzz: ${#targets[@]} targets, ${seconds}s each, $parallel at a time"
  local running=0
  for t in "${targets[@]}"; do
    run_one "$t" "$seconds" &
    if ((++running >= parallel)); then
      wait -n
      ((running--))
    fi
  done
  wait

  local failed=0 total_cpu=0
  {
    printf '%-20s %-8s %8s %8s %10s %9s\n' target result "cov" "ft" "exec/s" "cpu_s"
    for t in "${targets[@]}"; do
      local log=$build/logs/$t.log status cov=- ft=- eps=- cpu=-
      status=$(cat "$build/logs/$t.status")
      if [[ -f $log ]]; then
        local last
        last=$(grep -a -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
        [[ $last =~ cov:\ ([0-9]+) ]] && cov=${BASH_REMATCH[1]}
        [[ $last =~ ft:\ ([0-9]+) ]] && ft=${BASH_REMATCH[1]}
        eps=$(grep -a 'stat::average_exec_per_sec' "$log" | awk '{print $2}' || true)
        cpu=$(awk '{printf "%.1f", $1 + $2}' "$build/logs/$t.time" 2>/dev/null || echo -)
        [[ $cpu != - ]] && total_cpu=$(awk -v a="$total_cpu" -v b="$cpu" 'BEGIN {printf "%.1f", a + b}')
      fi
      if [[ $status == ok ]]; then
        printf '%-20s %-8s %8s %8s %10s %9s\n' "$t" ok "$cov" "$ft" "${eps:--}" "$cpu"
      else
        printf '%-20s %-8s %8s %8s %10s %9s   %s\n' "$t" FAILED "$cov" "$ft" "${eps:--}" "$cpu" "$status"
        failed=1
      fi
    done
    echo "total CPU seconds fuzzed: $total_cpu"
  } | tee "$build/summary.txt"
  if ((failed)); then
    echo "fuzz: findings above. Reproduce with: $build/fuzz_<target> <artifact>; then add the input to" \
      "fuzz/regressions/<target>/ and a unit test in tests/unit/." >&2
    exit 1
  fi
}

case ${1:-} in
  build) do_build ;;
  run) shift; do_run "$@" ;;
  *) echo "usage: fuzz/run.sh build | run SECONDS [TARGET...]" >&2; exit 2 ;;
esac
