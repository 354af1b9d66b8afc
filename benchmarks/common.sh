# Shared by the benchmark scripts (sourced, not run).

# encore_binary ROOT SCRATCH: prints the path of the encore binary to measure — $ENCORE_BIN as it
# is, else a release build, in the scratch folder SCRATCH when one is given (a private build that
# nobody else's rebuild can replace mid-run). encore-mpi, where built, sits beside it.
encore_binary() {
    local root="$1" scratch="$2"
    if [ -n "${ENCORE_BIN:-}" ]; then
        echo "$ENCORE_BIN"
    elif [ -n "$scratch" ]; then
        (cd "$root" && scripts/setup >&2 && swift build -c release --scratch-path "$scratch" >/dev/null)
        echo "$scratch/release/encore"
    else
        (cd "$root" && scripts/setup >&2 && swift build -c release >/dev/null)
        echo "$root/.build/release/encore"
    fi
}

# reference_workload ENCORE FILE: writes issue #4's reference play log (the shape of Last.fm 360K)
# to FILE unless it is there already.
reference_workload() {
    [ -f "$2" ] || "$1" synth --users 358868 --items 292385 --mean-per-user 50 --seed 1 --output "$2"
}

# long_rows_workload ENCORE FILE: writes issue #16's second shape to FILE unless it is there: a
# catalogue of 20,000 artists (a fifteenth of the reference's) and listeners with twice the
# reference's rows (mean 100), so both sides' rows are longer and the other side's factors far
# fewer.
long_rows_workload() {
    [ -f "$2" ] || "$1" synth --users 100000 --items 20000 --mean-per-user 100 --seed 2 --output "$2"
}

# ensure_wrk: installs wrk (Debian) if it is missing.
ensure_wrk() {
    command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
}

# frequent_ids FILE COLUMN: the IDs in tab-separated COLUMN of FILE (header line skipped) that
# stand on at least 5 rows — users and artists any trained model knows, so a 404 for one is a bug.
frequent_ids() {
    awk -F'\t' -v column="$2" 'NR > 1 {print $column}' "$1" | sort | uniq -c | awk '$1 >= 5 {print $2}'
}
