#!/usr/bin/env bash
# Issue #4's performance harness, one command: installs the peers (implicit, pyspark 3.5) into
# benchmarks/.venv, builds Encore in release mode, writes the reference workload (the shape of
# Last.fm 360K) if it is not there, and runs Encore, implicit and Spark side by side.
# Usage: benchmarks/perf/run.sh [--threads N] [--iterations N] [--skip-spark] [--skip-cholesky]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/benchmarks/out/perf"
mkdir -p "$out"
[ -x /usr/bin/time ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time; }
[ -x "$root/benchmarks/.venv/bin/python" ] || python3 -m venv "$root/benchmarks/.venv"
"$root/benchmarks/.venv/bin/python" -c "import implicit, pyspark, pandas" 2>/dev/null \
    || "$root/benchmarks/.venv/bin/pip" install -q implicit "pyspark==3.5.*" pandas numpy scipy
(cd "$root" && scripts/setup && swift build -c release >/dev/null)
data="$out/plays.tsv"
[ -f "$data" ] || "$root/.build/release/encore" synth --users 358868 --items 292385 --mean-per-user 50 --seed 1 --output "$data"
"$root/benchmarks/.venv/bin/python" "$root/benchmarks/perf/bench.py" --encore "$root/.build/release/encore" \
    --python "$root/benchmarks/.venv/bin/python" --data "$data" --out "$out" "$@"
