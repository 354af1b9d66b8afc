#!/usr/bin/env bash
# The solver table of docs/quality.md ("Solvers"): the subspace solver (iALS++) against the
# exact solve (Cholesky, with Woodbury for short rows), CG, and a textbook exact solve (a k×k
# factorisation for every row), at k = 256, 512 and 1024, on Last.fm 2K and on a long-row
# synthetic log. Times are whole processes (`encore train`, file read included) in alternating
# paired runs — subspace, other, subspace, other, … — and each pair's ratio; the median ratio
# is what docs/quality.md quotes. MAP@10 comes from `encore evaluate --seed 1` (80/20 split,
# 15 iterations), the loss from `encore train` on the whole file (15 iterations).
#
# Usage: benchmarks/quality/solvers.sh [times|map|all] [PAIRS]   (default: all, 5 pairs)
# Output: benchmarks/out/quality/solvers/{times.tsv,map.tsv}
#
# The textbook exact solve is the same `--solver cholesky` with ENCORE_BENCHMARK_TEXTBOOK_EXACT=1
# in its environment: a hidden switch, read only here, that turns off the Woodbury path
# (Models/WoodburySolve.swift), so every row is solved by a k×k factorisation. The model is the
# same either way; only the time changes. It is not an option of `encore` and not for users.
#
# OpenBLAS picks its own kernels (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset), as a user's run
# would. Budget: about an hour on two cores; the textbook runs at k = 1024 dominate.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
what="${1:-all}"
pairs="${2:-5}"
lastfm="$root/../shared/data/lastfm-2k/user_artists.dat"
out="$root/benchmarks/out/quality/solvers"
mkdir -p "$out"
(cd "$root" && swift build -c release >/dev/null)
encore="$root/.build/release/encore"
synth="$out/synth-long-rows.tsv"
[ -f "$synth" ] || "$encore" synth --users 2000 --items 1000 --mean-per-user 250 --seed 7 --output "$synth" >/dev/null
setting=(--regularization 0.3 --alpha 0.5 --confidence log)
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

# Wall seconds of one command (its output thrown away).
seconds() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}

# median of the numbers on standard input
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# pair LOG FILE K ITERATIONS SOLVER [TEXTBOOK]: alternating paired runs, subspace first in each pair.
pair() {
    local log=$1 file=$2 k=$3 iterations=$4 solver=$5 textbook=${6:-}
    local train=("$encore" train "$file" --factors "$k" --iterations "$iterations" "${setting[@]}" --quiet)
    local other=("${train[@]}" --solver "$solver" --output "$out/b.encore")
    [ -n "$textbook" ] && other=(env ENCORE_BENCHMARK_TEXTBOOK_EXACT=1 "${other[@]}")
    # One warm-up run of each, not counted.
    "${train[@]}" --solver subspace --output "$out/a.encore" >/dev/null 2>&1
    "${other[@]}" >/dev/null 2>&1
    local ratios=() a b
    for _ in $(seq "$pairs"); do
        a=$(seconds "${train[@]}" --solver subspace --output "$out/a.encore")
        b=$(seconds "${other[@]}")
        ratios+=("$(echo "$a / $b" | bc -l)")
        printf '%s\t%s\t%s\t%s%s\t%.3f\t%.3f\n' "$log" "$k" "$iterations" "$solver" "${textbook:+ (textbook)}" "$a" "$b" >>"$out/runs.tsv"
    done
    printf '%s\t%s\t%s\t%s%s\t%.3f\n' "$log" "$k" "$iterations" "$solver" "${textbook:+ (textbook)}" \
        "$(printf '%s\n' "${ratios[@]}" | median)" | tee -a "$out/times.tsv"
}

times() {
    printf 'log\tk\titerations\tagainst\tsubspace/other (median of %s pairs)\n' "$pairs" | tee "$out/times.tsv"
    : >"$out/runs.tsv"
    for k in 256 512 1024; do
        local iterations=3
        [ "$k" = 1024 ] && iterations=2
        for log in lastfm synth; do
            local file=$lastfm
            [ "$log" = synth ] && file=$synth
            pair "$log" "$file" "$k" "$iterations" cholesky
            pair "$log" "$file" "$k" "$iterations" cg
        done
    done
    # The textbook solve costs k³/3 per row: fewer iterations, and not Last.fm at k = 1024
    # (7 T multiply-adds an iteration there).
    pair synth "$synth" 256 2 cholesky textbook
    pair synth "$synth" 512 2 cholesky textbook
    pair synth "$synth" 1024 1 cholesky textbook
    pair lastfm "$lastfm" 256 1 cholesky textbook
    pair lastfm "$lastfm" 512 1 cholesky textbook
}

map() {
    printf 'log\tk\tsolver\tMAP@10\tloss\n' | tee "$out/map.tsv"
    for k in 256 512 1024; do
        for log in lastfm synth; do
            local file=$lastfm
            [ "$log" = synth ] && file=$synth
            for solver in subspace cholesky cg; do
                local map loss
                map=$("$encore" evaluate "$file" --seed 1 --factors "$k" --iterations 15 "${setting[@]}" --solver "$solver" --json 2>/dev/null | tail -1 |
                    python3 -c 'import json, sys; print(round(json.load(sys.stdin)["map"], 4))')
                # The loss of the whole file after 15 iterations (`encore train` prints it last).
                loss=$("$encore" train "$file" --factors "$k" --iterations 15 "${setting[@]}" --solver "$solver" --output "$out/m.encore" 2>&1 | tail -1 |
                    python3 -c 'import json, sys; print(round(json.load(sys.stdin)["loss"]))')
                printf '%s\t%s\t%s\t%s\t%s\n' "$log" "$k" "$solver" "$map" "$loss" | tee -a "$out/map.tsv"
            done
        done
    done
}

case "$what" in
    times) times ;;
    map) map ;;
    all) times; map ;;
    *) echo "usage: $0 [times|map|all] [PAIRS]" >&2; exit 2 ;;
esac
