#!/usr/bin/env bash
# Fails if core/ reaches for I/O, a clock, a random source or logging. core/ must stay a set of
# pure functions: time and random draws come in as arguments, decisions go out as values.
# (<chrono> is allowed for its duration and time_point types; reading a clock is not.)
set -u
dir=${1:?usage: core_is_pure.sh CORE_DIR}
patterns=(
  '#include *[<"](sys/socket\.h|netinet/|arpa/inet\.h|netdb\.h|unistd\.h|fcntl\.h|sys/)'
  '#include *[<"]sqlite3'
  '#include *[<"]boost/(asio|beast)'
  '#include *[<"](spdlog|fmt)/'
  '#include *[<"](random|ctime|time\.h|fstream|iostream|cstdio|stdio\.h|filesystem|thread)[>"]'
  '(system_clock|steady_clock|high_resolution_clock|utc_clock|file_clock)::now'
  'random_device|\b(rand|srand|time|getenv|fopen)\('
)
status=0
for p in "${patterns[@]}"; do
  if hits=$(grep -rnE "$p" "$dir" --include='*.hpp' --include='*.cpp' --include='*.h'); then
    echo "core/ must stay pure, but matches /$p/:"
    echo "$hits"
    status=1
  fi
done
files=$(find "$dir" -name '*.cpp' -o -name '*.hpp' | wc -l)
[[ $files -gt 0 ]] || { echo "no sources found in $dir"; exit 1; }
[[ $status -eq 0 ]] && echo "core is pure: $files files checked"
exit $status
