#!/usr/bin/env bash
# Issue #15's measurement of the default model settings: `encore evaluate` of the defaults,
# Spark's defaults (--spark-defaults), popularity and item-kNN (BM25 and unweighted) on Last.fm 2K
# plays, Last.fm 2K tag assignments, Last.fm 2K plays without their counts, and three synthetic
# play logs of different shapes, each over split seeds 0, 1 and 2. Prints a Markdown table of
# means (and MAP@10's spread) and the training time of the defaults against Spark's on the
# synthetic logs. Usage: benchmarks/defaults/run.sh [SCRATCH_DIR]   (about 15 minutes on 2 cores)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/benchmarks/out/defaults}"
mkdir -p "$out"
encore="$root/.build/release/encore"
[ -x "$encore" ] || (cd "$root" && swift build -c release >&2)
lastfm="$root/../shared/data/lastfm-2k"
[ -f "$out/synthA.tsv" ] || "$encore" synth --users 50000 --items 10000 --mean-per-user 40 --seed 2 --output "$out/synthA.tsv"
[ -f "$out/synthB.tsv" ] || "$encore" synth --users 20000 --items 100000 --mean-per-user 50 --seed 3 --output "$out/synthB.tsv"
[ -f "$out/synthC.tsv" ] || "$encore" synth --users 60000 --items 30000 --mean-per-user 25 --tastes 200 --taste-share 0.5 \
    --popularity-exponent 1.1 --seed 4 --output "$out/synthC.tsv"
# The plays under another file name, so that --weight-column applies (user_artists.dat selects the lastfm-2k layout).
cp "$lastfm/user_artists.dat" "$out/lastfm-plays.tsv"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u '+%Y-%m-%d %H:%M UTC')" | tee "$out/machine.txt" >&2
results="$out/results.jsonl"
: > "$results"
run() {  # NAME FILE [data flags] -- evaluate flags...
    local name=$1; shift
    for seed in 0 1 2; do
        for variant in compare knn-none spark; do
            case $variant in
                compare) flags=(--compare) ;;
                knn-none) flags=(--model item-knn --knn-weighting none) ;;
                spark) flags=(--spark-defaults) ;;
            esac
            "$encore" evaluate "$@" --seed $seed --json "${flags[@]}" 2>/dev/null \
                | sed "s/^{/{\"data\":\"$name\",\"seed\":$seed,\"variant\":\"$variant\",/" >> "$results"
        done
        echo "$name seed $seed done" >&2
    done
}
run "Last.fm 2K plays" "$lastfm/user_artists.dat"
run "Last.fm 2K tag assignments" "$lastfm/user_taggedartists.dat" --header --weight-column none
run "Last.fm 2K plays, counts dropped" "$out/lastfm-plays.tsv" --weight-column none
run "synthetic A" "$out/synthA.tsv"
run "synthetic B" "$out/synthB.tsv"
run "synthetic C" "$out/synthC.tsv"
timings="$out/timings.jsonl"
: > "$timings"
for name in lastfm-plays synthA synthB synthC; do
    for preset in "" "--spark-defaults"; do
        # shellcheck disable=SC2086
        "$encore" train "$out/$name.tsv" --output "$out/model.encore" --quiet $preset \
            | sed "s/^{/{\"data\":\"$name\",\"preset\":\"${preset:-defaults}\",/" >> "$timings"
    done
done
rm -f "$out/model.encore"
python3 "$root/benchmarks/defaults/table.py" "$results" "$timings"
