#!/usr/bin/env bash
# Issue #4's performance harness, one command: installs the peers (implicit, pyspark 3.5) into
# benchmarks/.venv, builds Encore in release mode, writes the reference workload (the shape of
# Last.fm 360K) if it is not there, and runs Encore, implicit and Spark side by side.
# Usage: benchmarks/perf/run.sh [--scratch-path DIR] [--threads N] [--iterations N]
#            [--recommend-users N] [--eval-users N] [--skip-spark] [--skip-cholesky] [--skip-quality]
#            [--skip-second-workload]
#   --scratch-path DIR  build Encore with `swift build --scratch-path DIR` and use DIR/release/encore
#                       (a private build that others rebuilding .build/ cannot disturb)
#   ENCORE_BIN=PATH     use this encore binary as it is, without building
#   --skip-second-workload  time only the reference workload, not also the log with a smaller
#                       catalogue and longer rows
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/benchmarks/out/perf"
mkdir -p "$out"
scratch=""
second=yes
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --scratch-path) scratch="$2"; shift 2 ;;
        --skip-second-workload) second=""; shift ;;
        *) args+=("$1"); shift ;;
    esac
done
[ -x /usr/bin/time ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time; }
[ -x "$root/benchmarks/.venv/bin/python" ] || python3 -m venv "$root/benchmarks/.venv"
"$root/benchmarks/.venv/bin/python" -c "import implicit, pyspark, pandas" 2>/dev/null \
    || "$root/benchmarks/.venv/bin/pip" install -q implicit "pyspark==3.5.*" pandas numpy scipy
. "$root/benchmarks/common.sh"
encore="$(encore_binary "$root" "$scratch")"
data="$out/plays.tsv"
reference_workload "$encore" "$data"
if [ -n "$second" ]; then
    long_rows_workload "$encore" "$out/long-rows.tsv"
    args+=(--second-data "$out/long-rows.tsv")
fi
"$root/benchmarks/.venv/bin/python" -u "$root/benchmarks/perf/bench.py" --encore "$encore" \
    --python "$root/benchmarks/.venv/bin/python" --data "$data" --out "$out" ${args[@]+"${args[@]}"}
