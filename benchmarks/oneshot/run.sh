#!/usr/bin/env bash
# Issue #16's one-shot target: `encore recommend --user X` on the reference model (358,868 users ×
# 292,385 items, k = 64) takes no more than 3× the same command on the Last.fm 2K model. Trains
# both models (once; kept in benchmarks/out/oneshot), then times whole processes in alternating
# pairs (reference, Last.fm, reference, …) and prints the medians and the median ratio of pairs,
# wall and CPU, with the load average and the CPU model. It measures; it does not judge.
#
#   benchmarks/oneshot/run.sh [--pairs 21] [--vs OTHER_ENCORE]
#
# --vs also runs OTHER_ENCORE (an older build) on models it trains itself, and times this build
# against it on the reference model, pair by pair: before/after. ENCORE_BIN names the binary to
# measure (else a release build of this checkout). The Last.fm 2K data is looked for in
# ../shared/data/lastfm-2k (LASTFM_DIR overrides).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/benchmarks/common.sh"
pairs=21
other=""
while [ $# -gt 0 ]; do
    case "$1" in
        --pairs) pairs="$2"; shift 2 ;;
        --vs) other="$2"; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "benchmarks/oneshot/run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
encore="$(encore_binary "$root" "")"
lastfm="${LASTFM_DIR:-$root/../shared/data/lastfm-2k}/user_artists.dat"
out="$root/benchmarks/out/oneshot"
mkdir -p "$out"
plays="$root/benchmarks/out/perf/plays.tsv"
mkdir -p "$(dirname "$plays")"
reference_workload "$encore" "$plays"
user="$(head -1 "$plays" | cut -f1)"   # the log's first user

# train_models BINARY PREFIX: the reference and Last.fm 2K models BINARY writes, unless there.
train_models() {
    [ -f "$2-ref.model" ] || "$1" train "$plays" --factors 64 --iterations 10 --output "$2-ref.model" --quiet
    [ -f "$2-lastfm.model" ] || "$1" train "$lastfm" --output "$2-lastfm.model" --quiet
}
train_models "$encore" "$out/this"
[ -z "$other" ] || train_models "$other" "$out/other"

# paired A_COMMAND B_COMMAND LABEL: alternating whole-process runs (one warm-up each), then the
# medians of each and the median of the per-pair ratios A/B, wall and CPU (user + system).
paired() {
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 - "$pairs" "$3" "$1" "$2" <<'PY'
import os, shlex, statistics, subprocess, sys, time
pairs, label, a, b = int(sys.argv[1]), sys.argv[2], shlex.split(sys.argv[3]), shlex.split(sys.argv[4])
def run(command):
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if status != 0: sys.exit(f"{command[0]} exited with status {status}")
    return wall, usage.ru_utime + usage.ru_stime
run(a); run(b)
load = os.getloadavg()[0]
results = [(run(a), run(b)) for _ in range(pairs)]
median = lambda values: statistics.median(values)
print(f"{label}: {pairs} pairs, load average {load:.1f} → {os.getloadavg()[0]:.1f}")
print(f"  A wall {median([r[0][0] for r in results]):.3f} s, CPU {median([r[0][1] for r in results]):.3f} s")
print(f"  B wall {median([r[1][0] for r in results]):.3f} s, CPU {median([r[1][1] for r in results]):.3f} s")
print(f"  A/B wall {median([r[0][0] / r[1][0] for r in results]):.2f}, CPU {median([r[0][1] / max(r[1][1], 1e-6) for r in results]):.2f}")
PY
}

env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$encore" --version
echo "cores: $(nproc)"
paired "$encore recommend $out/this-ref.model --user $user --count 10" \
       "$encore recommend $out/this-lastfm.model --user 2 --count 10" \
       "recommend --user X: reference (A) / Last.fm 2K (B), this build (target ≤ 3)"
if [ -n "$other" ]; then
    paired "$other recommend $out/other-ref.model --user $user --count 10" \
           "$other recommend $out/other-lastfm.model --user 2 --count 10" \
           "recommend --user X: reference (A) / Last.fm 2K (B), $other"
    paired "$encore recommend $out/this-ref.model --user $user --count 10" \
           "$other recommend $out/other-ref.model --user $user --count 10" \
           "recommend --user X on the reference model: this build (A) / $other (B)"
fi
