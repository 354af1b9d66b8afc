#!/usr/bin/env bash
# A program built on the library asks one loaded model for one listener's recommendations after
# another (`EncoreModel.recommendations(for:)`) on the reference model (358,868 users × 292,385
# items, k = 64; the serving benchmark's model, trained here if missing): the first question,
# the second, and the mean of the next 200, each round printed, with the CPU model.
#
#   benchmarks/library/run.sh [--rounds 5] [--vs REV] [--excluding ITEM]
#
# --vs REV builds the same program against commit REV (a git worktree in benchmarks/out/library)
# and runs the two alternately, round by round: before/after. --excluding passes
# `excluding: [ITEM]` with every question (a filter, as a user would give one).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/benchmarks/common.sh"
rounds=5
other=""
excluding=()
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --vs) other="$2"; shift 2 ;;
        --excluding) excluding=("$2"); shift 2 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "benchmarks/library/run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
out="$root/benchmarks/out/library"
perf="$root/benchmarks/out/perf"
mkdir -p "$out" "$perf"
encore="$(encore_binary "$root" "")"
reference_workload "$encore" "$perf/plays.tsv"
[ -f "$perf/serve.model" ] || "$encore" train "$perf/plays.tsv" --output "$perf/serve.model" --factors 64 --iterations 3 \
    --solver cg --confidence log --alpha 1 --regularization 0.1 --regularization-scaling flat --quiet
[ -f "$perf/serve-users.txt" ] || head -20000 "$perf/plays.tsv" | cut -f1 | sort -u > "$perf/serve-users.txt"

# build_against CHECKOUT FOLDER: this program, in FOLDER, depending on the Encore in CHECKOUT.
build_against() {
    mkdir -p "$2/Sources/library-questions"
    cp "$root/benchmarks/library/Sources/library-questions/main.swift" "$2/Sources/library-questions/"
    sed "s|path: \"../..\"|path: \"$1\"|" "$root/benchmarks/library/Package.swift" > "$2/Package.swift"
    (cd "$2" && swift build -c release >/dev/null)
    echo "$2/.build/release/library-questions"
}
programs=("$(build_against "$root" "$out/this")")
names=("this checkout")
if [ -n "$other" ]; then
    rm -rf "$out/worktree"
    git -C "$root" worktree prune
    git -C "$root" worktree add -q --detach "$out/worktree" "$other"
    programs+=("$(build_against "$out/worktree" "$out/other")")
    names+=("$other")
fi
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') (family $(grep -m1 'cpu family' /proc/cpuinfo | awk '{print $4}'), model $(grep -m1 '^model' /proc/cpuinfo | awk '{print $3}')); load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
    for i in "${!programs[@]}"; do
        echo "round $round, ${names[$i]}: $("${programs[$i]}" "$perf/serve.model" "$perf/serve-users.txt" 202 "${excluding[@]}")"
    done
done
if [ -n "$other" ]; then git -C "$root" worktree remove --force "$out/worktree"; fi
