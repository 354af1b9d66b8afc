#!/usr/bin/env bash
# Issue #2's quality benchmark: Encore's MAP@10 against implicit's on Last.fm 2K, same split,
# same hyperparameters, one evaluator. Usage: benchmarks/quality/run.sh [DATA_FILE]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
data="${1:-$root/../shared/data/lastfm-2k/user_artists.dat}"
"$root/benchmarks/quality/setup-venv.sh" >/dev/null
(cd "$root" && swift build -c release >/dev/null)
"$root/benchmarks/.venv/bin/python" "$root/benchmarks/quality/lastfm_map.py" \
    --encore "$root/.build/release/encore" --data "$data" --out "$root/benchmarks/out/quality"
