#!/usr/bin/env bash
# Issue #7's measurements: the three distribution strategies at P = 1, 2, 4, 8 processes on the
# reference workload (the shape of Last.fm 360K, written by `encore synth` if not there yet), one
# machine, processes oversubscribing its cores. Prints a Markdown table for docs/distributed.md.
# Usage: benchmarks/distributed/run.sh [--processes "1 2 4 8"] [--iterations 1] [--factors 64]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/benchmarks/out/distributed"
processes="1 2 4 8"
iterations=1
factors=64
while [ $# -gt 0 ]; do
    case "$1" in
        --processes) processes="$2"; shift 2 ;;
        --iterations) iterations="$2"; shift 2 ;;
        --factors) factors="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
mkdir -p "$out"
. "$root/benchmarks/common.sh"
encore="$(encore_binary "$root" "")"
data="$root/benchmarks/out/perf/plays.tsv"
mkdir -p "$(dirname "$data")"
reference_workload "$encore" "$data"
# Open MPI refuses root unless told; CI and these machines run as root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
results="$out/results.jsonl"
: > "$results"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)" | tee "$out/machine.txt"
for p in $processes; do
    for strategy in half-gridify full-gridify broadcast; do
        echo "P=$p $strategy" >&2
        mpirun -np "$p" --oversubscribe "$(dirname "$encore")/encore-mpi" train "$data" --output "$out/model.encore" \
            --strategy "$strategy" --factors "$factors" --iterations "$iterations" --solver cg --confidence log \
            --alpha 1 --regularization 0.1 --regularization-scaling flat --seed 1 2> "$out/P$p-$strategy.log" | tail -1 >> "$results"
        tail -1 "$results" >&2
    done
done
rm -f "$out/model.encore"
python3 "$root/benchmarks/distributed/table.py" "$results"
