#!/usr/bin/env bash
# What compiling code that uses s3co costs, header-only and in separate
# compilation mode: CPU seconds (user+sys) and peak compiler memory (maximum
# resident set size) of one `g++ -c`, with the flags of a Release build
# (-std=c++20 -O3 -DNDEBUG), for
#   - a translation unit that includes s3co/s3co.hpp,
#   - the README's cookbook snippets that use the S3 client, as one service
#     (benchmarks/compile/service_example.cpp),
#   - a translation unit that includes one component header, s3co/http/client.hpp,
# and, once per program in separate mode, s3co/src.hpp (the s3co_compiled
# library). Prints a Markdown table. Run it on an idle machine: CPU time
# grows when another build shares the cores.
#
#   benchmarks/compile_cost.sh [CXX]
set -euo pipefail
cd "$(dirname "$0")/.."
cxx=${1:-g++}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '#include <s3co/s3co.hpp>\n' > "$work/umbrella.cpp"
printf '#include <s3co/http/client.hpp>\n' > "$work/component.cpp"
printf '#include <s3co/src.hpp>\n' > "$work/src.cpp"

# measure SOURCE [FLAGS...]: prints "CPU_SECONDS PEAK_MB"
measure() {
  local source=$1
  shift
  /usr/bin/time -f '%U %S %M' -o "$work/time" \
    "$cxx" -std=c++20 -O3 -DNDEBUG -Iinclude -Iexamples "$@" -c "$source" -o "$work/out.o"
  read -r user sys kb < "$work/time"
  awk -v u="$user" -v s="$sys" -v k="$kb" 'BEGIN { printf "%.1f %.0f\n", u + s, k / 1024 }'
}

echo "$("$cxx" --version | head -n 1), -std=c++20 -O3 -DNDEBUG, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| translation unit | header-only CPU s | header-only peak MB | separate CPU s | separate peak MB | separate / header-only (CPU, memory) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for row in "umbrella.cpp|includes s3co/s3co.hpp" \
           "service|README cookbook as a service" \
           "component.cpp|includes s3co/http/client.hpp"; do
  file=${row%%|*}
  label=${row#*|}
  source=$work/$file
  [[ "$file" == service ]] && source=benchmarks/compile/service_example.cpp
  read -r cpu_h mb_h < <(measure "$source")
  read -r cpu_s mb_s < <(measure "$source" -DS3CO_SEPARATE_COMPILATION)
  awk -v l="$label" -v ch="$cpu_h" -v mh="$mb_h" -v cs="$cpu_s" -v ms="$mb_s" \
    'BEGIN { printf "| %s | %.1f | %.0f | %.1f | %.0f | %.0f %%, %.0f %% |\n", l, ch, mh, cs, ms, 100 * cs / ch, 100 * ms / mh }'
done
read -r cpu mb < <(measure "$work/src.cpp" -DS3CO_SEPARATE_COMPILATION)
echo "| s3co/src.hpp (s3co::s3co_compiled, once per program) | | | $cpu | $mb | |"
