"""Prints the Markdown tables of docs/benchmarks.md from benchmarks/out/perf/results.json.
Usage: python3 benchmarks/perf/report.py [results.json]"""
import json
import os
import sys

TARGETS = {("cg", 64): 1 / 6, ("cg", 128): 1 / 4, ("cholesky", 64): 1 / 4}
# Issue #16: CG within 2× of the machine's gather floor, k = 64 and 128.
FLOOR_TARGET = 2.0
READ_TARGET = 5.0


def verdict(ok):
    return "PASS" if ok else "MISS"


def print_runs(r, runs, data):
    """The speed tables of one play log."""
    m = r["machine"]
    for run in runs:
        e, p = run["encore"], run["implicit"]
        print(f"### {os.path.basename(data)}: {run['solver']} k = {run['factors']}, {r['threads']} threads, {r['iterations']} iterations "
              f"(load average when done: {', '.join(f'{x:.1f}' for x in run['load_average'])})\n")
        print("| | Encore | implicit 0.7.3 | Encore / implicit |")
        print("|---|---:|---:|---:|")
        print(f"| seconds per iteration (median) | {e['seconds_per_iteration']:.2f} | {p['seconds_per_iteration']:.2f} | {run['ratio']:.3f} |")
        print(f"| every iteration, s | {', '.join(f'{x:.2f}' for x in e['iteration_seconds'])} | {', '.join(f'{x:.2f}' for x in p['iteration_seconds'])} | |")
        print(f"| ingest (read the TSV, build the matrix), s | {e['ingest_seconds']:.2f} | {p['ingest_seconds']:.1f} | {e['ingest_seconds'] / p['ingest_seconds']:.3f} |")
        if "wall_seconds" in e and "fit_seconds" in p:
            whole = p["ingest_seconds"] + p["fit_seconds"]
            print(f"| whole run, s: Encore's `encore train` process (read, set up, {r['iterations']} iterations, write the model); "
                  f"implicit's ingest + `fit` (no model written) | {e['wall_seconds']:.2f} | {whole:.1f} | {e['wall_seconds'] / whole:.3f} |")
        print(f"| peak RSS of the whole process, MB | {e['peak_rss_mb']:.0f} | {p['peak_rss_mb']:.0f} | {e['peak_rss_mb'] / p['peak_rss_mb']:.2f} |")
        print(f"| work model, GFLOP per iteration (each system's own algorithm) | {e['model_gflop_per_iteration']:.1f} | {p['model_gflop_per_iteration']:.1f} | |")
        print(f"| achieved GFLOP/s | {e['achieved_gflops']:.1f} | {p['achieved_gflops']:.1f} | |")
        print(f"| achieved GB/s (model: {e['model_gb_per_iteration']:.1f} GB/iteration) | {e['achieved_gbs']:.2f} | {p['achieved_gbs']:.2f} | |")
        if "gather_floor_seconds" in e:
            rate = "gather2_k64_gbs" if run["factors"] <= 96 else "gather2_k128_gbs"
            print(f"| gather floor (model bytes ÷ the probe's two-thread gather rate, {m[rate]} GB/s), s | {e['gather_floor_seconds']:.2f} | | |")
            print(f"| seconds per iteration ÷ gather floor | {e['floor_multiple']:.2f} | | |")
        target = TARGETS[(run["solver"], run["factors"])]
        print(f"\nTarget ≤ {target:.3f}: measured {run['ratio']:.3f} — **{verdict(run['ratio'] <= target)}**")
        if run["solver"] == "cg" and "floor_multiple" in e:
            print(f"Floor target ≤ {FLOOR_TARGET:.1f}× the gather floor: measured {e['floor_multiple']:.2f}× — **{verdict(e['floor_multiple'] <= FLOOR_TARGET)}**")
        print()


def main():
    r = json.load(open(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/out/perf/results.json"))
    m = r["machine"]
    print(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; memcpy {m['memcpy_gbs']} GB/s, "
          f"sequential read {m['read_gbs']} GB/s, random row gather {m['gather_gbs']} GB/s (one thread, 256-byte rows, no prefetch)"
          + (f", {m['gather2_k64_gbs']} / {m['gather2_k128_gbs']} GB/s (two threads prefetching, 256- / 512-byte rows)"
             if "gather2_k64_gbs" in m else "") + "; "
          f"sgemm {m['sgemm1_gflops']} GFLOP/s on 1 thread, {m['sgemm2_gflops']} on 2; load average at start {m['load_average_at_start']}\n")
    if "encore_version" in m:
        print("`encore --version`:\n\n```\n" + m["encore_version"] + "\n```\n")
    print_runs(r, r["runs"], r["data"])
    readings = [run["encore"]["ingest_seconds"] for run in r["runs"]]
    print(f"Reading the reference workload into the training matrix (issue #4's target ≤ {READ_TARGET:.0f} s): "
          f"{', '.join(f'{x:.2f}' for x in readings)} s — **{verdict(max(readings) <= READ_TARGET)}**\n")
    if "second_workload" in r:
        print_runs(r, r["second_workload"]["runs"], r["second_workload"]["data"])
    t = r.get("thread_scaling")
    if t:
        print(f"Thread scaling (Encore CG k = 64): 1 thread {t['threads_1']:.2f} s/iteration, 2 threads "
          f"{t['threads_2']:.2f}; speed-up {t['speedup']:.2f}×\n")
    c = r.get("recommend")
    if not c:
        return
    print("| top-10, seen excluded, Encore's k = 64 factors | Encore | implicit (same factors) | implicit / Encore |")
    print("|---|---:|---:|---:|")
    print(f"| first {c['users_compared']:,} users, process wall (Encore includes loading the model) s | {c['encore_subset_wall_seconds']:.2f} | {c['implicit_subset_seconds']:.2f} | {c['speedup_wall']:.2f} |")
    if c["encore_subset_compute_seconds"]:
        print(f"| same, scoring only, s | {c['encore_subset_compute_seconds']:.2f} | {c['implicit_subset_seconds']:.2f} | {c['speedup_compute']:.2f} |")
    print(f"| all {c['encore_all_users']:,} users, s | {c['encore_all_wall_seconds']:.1f} wall, {c['encore_all_compute_seconds'] or float('nan'):.1f} scoring | "
          f"{c['implicit_all_users_extrapolated_seconds']:.1f} (extrapolated) | {c['implicit_all_users_extrapolated_seconds'] / (c['encore_all_compute_seconds'] or c['encore_all_wall_seconds']):.2f} |")
    print(f"| achieved GFLOP/s (2·users·items·k) | {c['encore_all_achieved_gflops']:.1f} | {c['implicit_achieved_gflops']:.1f} | |")
    print(f"\nAgreement on the same factors: {c['identical_top10_sets']:,} of {c['agreement_users_checked']:,} users have the identical "
          f"top-10 set; item overlap {c['item_overlap']:.4f}\n")
    if "quality" in r:
        q = r["quality"]
        print(f"Held-out MAP@10 ({q['split']}, {q['evaluation_users']:,} test users, one evaluator):\n")
        print("| system | MAP@10 |")
        print("|---|---:|")
        for name, value in q["map_at_10"].items():
            print(f"| {name} | {value:.4f} |")
        print()
        for key, value in q.items():
            if key.startswith("relative_difference"):
                print(f"- Encore vs implicit, {key.split(' ', 1)[1]}: {100 * value:+.2f}% — **{verdict(value >= -0.02)}** (target: within 2%, or better)")
        print()
    if "spark" in r:
        s = r["spark"]
        print(f"Spark {s['system']}: {s['seconds_per_iteration']:.1f} s/iteration (k = 64), ingest {s['ingest_seconds']:.1f} s, "
              f"fixed cost per fit {s['fixed_seconds']:.1f} s, peak RSS {s['peak_rss_mb']:.0f} MB, "
              f"recommendForUserSubset {s['recommend_users']} users {s['recommend_seconds_seen_not_excluded']:.1f} s; "
              f"Encore Cholesky k=64 / Spark = {r['spark_ratio_cholesky64']:.3f}, Encore CG k=64 / Spark = {r['spark_ratio_cg64']:.3f}")


if __name__ == "__main__":
    main()
