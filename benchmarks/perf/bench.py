"""Issue #4's harness: Encore against `implicit` and Spark on one play log, same hyperparameters,
same thread count, ratios from the same run. Run it through benchmarks/perf/run.sh.

Model for every system: implicit ALS, log confidence c = 1 + log(1 + plays), lambda 0.1 (flat
for Encore and implicit; Spark has only its own lambda scaling), seeded random start.

Stages, each written to results.json as soon as it is done:
1. machine probe (memory bandwidth, OpenBLAS sgemm GFLOP/s);
2. speed on the full play log: seconds per iteration, ingest, peak RSS, achieved GFLOP/s and
   GB/s and the gather floor, for Encore and implicit (CG k=64, CG k=128, Cholesky k=64); then,
   with --second-data, the same on a log of another shape (issue #16: a smaller catalogue,
   longer rows); Encore's 1-thread run;
3. top-10 with seen items excluded, Encore against implicit's batched recommend on the SAME
   factors (Encore's k=64 CG model loaded into implicit), with an agreement check;
4. held-out MAP@10: the log split 80/20 by row with a fixed seed, every system trained on the
   80% with the same hyperparameters, top-10 (training items excluded) for the same 20,000 test
   users, all scored by the one evaluator below;
5. Spark local[N]: seconds per iteration (k=64) on the full log, MAP@10 on the split.
"""
import argparse
import json
import os
import platform
import random
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CG_STEPS = 3  # Encore's --cg-steps default and implicit's cg_steps default


def timed(command, env=None):
    """Runs a command under GNU time; returns (stdout, stderr, wall seconds, peak RSS in MB)."""
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v"] + command, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stderr[-3000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1)) / 1024
    return done.stdout, done.stderr, wall, rss


def row_lengths(data, out):
    """How many rows of each length the users × items matrix has on each side, as
    {"users": {length: rows}, "items": {...}}; counted once per play log and kept in `out`."""
    cache = os.path.join(out, f"row-lengths-{os.path.splitext(os.path.basename(data))[0]}.json")
    stamp = [os.path.getsize(data), os.path.getmtime(data)]
    if os.path.exists(cache):
        saved = json.load(open(cache))
        if saved.get("stamp") == stamp:
            return {side: {int(m): n for m, n in counts.items()} for side, counts in saved["lengths"].items()}
    import pandas
    frame = pandas.read_csv(data, sep="\t", header=None, usecols=[0, 1], names=["user", "item"], dtype=str)
    frame = frame.drop_duplicates()
    lengths = {side: {int(m): int(n) for m, n in frame.groupby(column).size().value_counts().items()}
               for side, column in (("users", "user"), ("items", "item"))}
    json.dump({"stamp": stamp, "lengths": lengths}, open(cache, "w"))
    return lengths


def work_model(system, solver, k, nnz, users, items, lengths):
    """The stated cost model of one full ALS iteration (both half-steps), in flops and bytes,
    for each system's own algorithm. Per half-step solving `rows` (m observations each) against
    `other`, s CG steps:

    implicit (the textbook algorithms, which Spark also follows for Cholesky):
        CG:       nnz·k·(2 + 4s) + rows·2k²·s + 2·other·k²
                  (b and the start residual, then per step one dot and one axpy per observed
                  entry; the k×k Gram matrix applied once per row and step; the Gram matrix)
        Cholesky: nnz·(2k² + 2k) + rows·(k³/3 + 2k²) + 2·other·k²
                  (rank-one updates of the normal matrix and b; the factorisation and two
                  triangular solves; the Gram matrix)
    Encore (rows solved in the Gram eigenbasis, see GramEigenbasis.swift and TurnedFactors.swift):
        CG:       nnz·k·(2 + 4s) + rows·2k·s + 2·other·k² + 2k²·(other + rows)
                  (as above with a diagonal Gram matrix; plus turning the other side, and this
                  side for its warm start, from their last bases into this one)
        Cholesky: Σ_rows cost(m) + 2·other·k² + 2k²·other, where a row with m < k costs
                  m²k + m³/3 + 2m² + 6mk (Woodbury: the m×m matrix, its factorisation and
                  solves, the vectors) and a longer one m·(k² + 7k) + k³/3 + 4k² (the k×k
                  matrix in Float, b, its factorisation, two solves and one Double residual
                  of the refinement); only the other side is turned.
    Bytes, per half-step, for both: nnz·(4k + 8): every observed entry gathers one Float32 row
    of the other side's factors and reads its CSR index and weight once.
    """
    def exact_rows(side):
        total = 0.0
        for m, count in lengths[side].items():
            cost = m * m * k + m ** 3 / 3 + 2 * m * m + 6 * m * k if m < k else m * (k * k + 7 * k) + k ** 3 / 3 + 4 * k * k
            total += count * cost
        return total

    flops = 0.0
    for rows, other, side in ((users, items, "users"), (items, users, "items")):
        gram = 2 * other * k * k
        if system == "encore" and solver == "cg":
            flops += nnz * k * (2 + 4 * CG_STEPS) + rows * 2 * k * CG_STEPS + gram + 2 * k * k * (other + rows)
        elif system == "encore":
            flops += exact_rows(side) + gram + 2 * k * k * other
        elif solver == "cg":
            flops += nnz * k * (2 + 4 * CG_STEPS) + rows * 2 * k * k * CG_STEPS + gram
        else:
            flops += nnz * (2 * k * k + 2 * k) + rows * (k ** 3 / 3 + 2 * k * k) + gram
    return flops, 2 * nnz * (4 * k + 8)


def encore_train(encore, data, out, solver, factors, iterations, threads, tag="full"):
    model = os.path.join(out, f"encore-{tag}-{solver}-{factors}-{threads}.model")
    stdout, stderr, wall, rss = timed([encore, "train", data, "--output", model, "--solver", solver, "--factors", str(factors),
                                       "--iterations", str(iterations), "--threads", str(threads), "--confidence", "log",
                                       "--alpha", "1", "--regularization", "0.1", "--regularization-scaling", "flat", "--seed", "1"])
    summary = json.loads(stdout.strip().splitlines()[-1])
    seconds = [float(m.group(1)) * (1e-3 if m.group(2) == "ms" else 1)
               for m in re.finditer(r"iteration \d+/\d+: loss \S+ \(([\d.]+) (s|ms)\)", stderr)]
    return {"system": "encore", "solver": solver, "factors": factors, "threads": threads,
            "ingest_seconds": summary["read_seconds"], "iteration_seconds": seconds,
            "seconds_per_iteration": sorted(seconds)[len(seconds) // 2], "wall_seconds": wall,
            "peak_rss_mb": rss, "model": model, "interactions": summary["interactions"],
            "users": summary["users"], "items": summary["items"]}


def add_rates(run, system, solver, k, nnz, users, items, lengths):
    flops, moved = work_model(system, solver, k, nnz, users, items, lengths)
    run["model_gflop_per_iteration"] = flops / 1e9
    run["model_gb_per_iteration"] = moved / 1e9
    run["achieved_gflops"] = flops / 1e9 / run["seconds_per_iteration"]
    run["achieved_gbs"] = moved / 1e9 / run["seconds_per_iteration"]


def add_gather_floor(run, machine, k):
    """The gather floor of issue #16: the bytes an iteration must gather (the work model's
    nnz·(4k + 8) per half-step) at the probe's two-thread prefetching gather rate for rows of this
    width, and the measured seconds per iteration as a multiple of it. The probe measures 256- and
    512-byte rows; other ranks use the nearer of the two."""
    rate = machine["gather2_k64_gbs"] if k <= 96 else machine["gather2_k128_gbs"]
    run["gather_floor_seconds"] = run["model_gb_per_iteration"] / rate
    run["floor_multiple"] = run["seconds_per_iteration"] / run["gather_floor_seconds"]


def split(data, out, fraction=0.2, seed=1, sample=20000):
    """Splits the log by row (fixed seed) into train.tsv / test.tsv and picks `sample` test users
    that also have training rows. Skipped when the files exist."""
    train, test, users_file = (os.path.join(out, name) for name in ("train.tsv", "test.tsv", f"eval-users-{sample}.txt"))
    if all(os.path.exists(p) for p in (train, test, users_file)):
        return train, test, users_file
    rng = random.Random(seed)
    in_train, in_test = set(), set()
    with open(data) as source, open(train + ".tmp", "w") as a, open(test + ".tmp", "w") as b:
        for line in source:
            user = line.split("\t", 1)[0]
            if rng.random() < fraction:
                b.write(line)
                in_test.add(user)
            else:
                a.write(line)
                in_train.add(user)
    candidates = sorted(in_test & in_train)
    chosen = random.Random(seed).sample(candidates, min(sample, len(candidates)))
    with open(users_file, "w") as f:
        f.write("\n".join(chosen) + "\n")
    os.replace(train + ".tmp", train)
    os.replace(test + ".tmp", test)
    return train, test, users_file


def held_out(path, users):
    """user -> set of items in a user<TAB>item<TAB>… file, for the given users only."""
    wanted, items = set(users), {}
    for line in open(path):
        user, item = line.split("\t", 2)[:2]
        if user in wanted:
            items.setdefault(user, set()).add(item)
    return items


def map_at_10(recs_path, test_items, users):
    """The one evaluator: MAP@10 = mean over `users` of Σ_{hit positions j ≤ 10} precision@j /
    min(10, |held-out items|); a user with no list scores 0. Also returns how many users had a list."""
    lists = {}
    for line in open(recs_path):
        user, item = line.split("\t", 2)[:2]
        lists.setdefault(user, []).append(item)
    total, listed = 0.0, 0
    for user in users:
        ranked = lists.get(user)
        if not ranked:
            continue
        listed += 1
        relevant, hits, score = test_items[user], 0, 0.0
        for position, item in enumerate(ranked[:10], 1):
            if item in relevant:
                hits += 1
                score += hits / position
        total += score / min(10, len(relevant))
    return total / len(users), listed


RESULTS = "results.json"


def save(results, out):
    with open(os.path.join(out, RESULTS), "w") as f:
        json.dump(results, f, indent=2)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encore", required=True)
    parser.add_argument("--python", required=True, help="the virtualenv's python with implicit and pyspark")
    parser.add_argument("--data", required=True)
    parser.add_argument("--second-data", help="a play log of another shape (run.sh: a smaller catalogue, longer rows), "
                                              "timed like the first")
    parser.add_argument("--out", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--recommend-users", type=int, default=50000,
                        help="users in the like-for-like recommend comparison (implicit is slow on all of them)")
    parser.add_argument("--eval-users", type=int, default=20000)
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--skip-cholesky", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-recommend", action="store_true")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--results", default="results.json", help="file name of the results, in --out")
    args = parser.parse_args()
    global RESULTS
    RESULTS = args.results
    os.makedirs(args.out, exist_ok=True)
    results = {"date": time.strftime("%Y-%m-%d"), "threads": args.threads, "iterations": args.iterations,
               "data": args.data, "machine": {}, "runs": []}
    peer_env = dict(os.environ, OPENBLAS_NUM_THREADS="1")

    # 1. The machine.
    probe = os.path.join(args.out, "machine_probe")
    subprocess.run(["gcc", "-O3", "-march=native", "-pthread", "-o", probe, os.path.join(HERE, "machine_probe.c")]
                   + subprocess.run(["pkg-config", "--cflags", "--libs", "openblas"], capture_output=True, text=True).stdout.split(), check=True)
    for line in subprocess.run([probe], capture_output=True, text=True, check=True).stdout.splitlines():
        key, value = line.split()
        results["machine"][key] = float(value)
    cpuinfo = {}
    for line in open("/proc/cpuinfo"):
        key, _, value = line.partition(":")
        cpuinfo.setdefault(key.strip(), value.strip())
    family, model = cpuinfo.get("cpu family", "?"), cpuinfo.get("model", "?")
    results["machine"]["cpu"] = f"{cpuinfo.get('model name', platform.processor())} (family {family}, model {model})"
    # What Encore runs with on this machine: its vector kernels and OpenBLAS's kernel set.
    results["machine"]["encore_version"] = subprocess.run([args.encore, "--version"], capture_output=True, text=True,
                                                          check=True).stdout.strip()
    results["machine"]["cores"] = os.cpu_count()
    results["machine"]["memory_gb"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30, 1)
    results["machine"]["load_average_at_start"] = os.getloadavg()
    print("machine:", json.dumps(results["machine"]), flush=True)
    save(results, args.out)

    # 2. Speed on the full log, then on a log of another shape.
    configurations = [("cg", 64), ("cg", 128)] + ([] if args.skip_cholesky else [("cholesky", 64)])
    speed(args, results, args.data, "full", configurations, peer_env, results["runs"])
    if args.second_data:
        results["second_workload"] = {"data": args.second_data, "runs": []}
        speed(args, results, args.second_data, "second", configurations, peer_env, results["second_workload"]["runs"])

    if not args.skip_scaling:
        thread_scaling(args, results)
    if not args.skip_recommend:
        recommend(args, results, peer_env)
    quality_and_spark(args, results, configurations, peer_env)
    print("wrote", os.path.join(args.out, RESULTS))


def speed(args, results, data, tag, configurations, peer_env, runs):
    """Seconds per iteration, ingest and peak memory of Encore and implicit on one play log, each
    configuration in turn; each run is appended to `runs` (a list inside `results`) and the
    results saved as soon as it is done."""
    lengths = row_lengths(data, args.out)
    for solver, factors in configurations:
        ours = encore_train(args.encore, data, args.out, solver, factors, args.iterations, args.threads, tag=tag)
        nnz, users, items = ours["interactions"], ours["users"], ours["items"]
        add_rates(ours, "encore", solver, factors, nnz, users, items, lengths)
        add_gather_floor(ours, results["machine"], factors)
        stdout, _, _, rss = timed([args.python, os.path.join(HERE, "peer_implicit.py"), "--data", data, "--solver", solver,
                                   "--factors", str(factors), "--iterations", str(args.iterations), "--threads", str(args.threads)],
                                  env=peer_env)
        peer = json.loads(stdout.strip().splitlines()[-1])
        peer["peak_rss_mb"] = rss
        add_rates(peer, "implicit", solver, factors, nnz, users, items, lengths)
        ratio = ours["seconds_per_iteration"] / peer["seconds_per_iteration"]
        print(f"{os.path.basename(data)}, {solver} k={factors}: Encore {ours['seconds_per_iteration']:.2f} s/it ({ours['achieved_gflops']:.1f} GFLOP/s, "
              f"{ours['achieved_gbs']:.2f} GB/s, {ours['floor_multiple']:.2f}× the gather floor of {ours['gather_floor_seconds']:.2f} s, ingest {ours['ingest_seconds']:.2f} s, {ours['peak_rss_mb']:.0f} MB), "
              f"implicit {peer['seconds_per_iteration']:.2f} s/it (ingest {peer['ingest_seconds']:.1f} s, {rss:.0f} MB), "
              f"Encore/implicit = {ratio:.3f}", flush=True)
        runs.append({"solver": solver, "factors": factors, "encore": ours, "implicit": peer, "ratio": ratio,
                     "load_average": os.getloadavg()})
        save(results, args.out)


def thread_scaling(args, results):
    single = encore_train(args.encore, args.data, args.out, "cg", 64, args.iterations, 1)
    results["thread_scaling"] = {"threads_1": single["seconds_per_iteration"],
                                 f"threads_{args.threads}": results["runs"][0]["encore"]["seconds_per_iteration"]}
    results["thread_scaling"]["speedup"] = single["seconds_per_iteration"] / results["runs"][0]["encore"]["seconds_per_iteration"]
    print("thread scaling:", json.dumps(results["thread_scaling"]), flush=True)
    save(results, args.out)


def recommend(args, results, peer_env):
    # 3. Top-10, seen excluded, on the same factors (Encore's k = 64 CG model).
    model = results["runs"][0]["encore"]["model"]
    users, items = results["runs"][0]["encore"]["users"], results["runs"][0]["encore"]["items"]
    ordered = os.path.join(args.out, f"first-users-{args.recommend_users}.txt")
    with open(ordered, "w") as f:  # the model's first users: the ones implicit's run below takes
        seen, listed = set(), []
        for line in open(args.data):
            user = line.split("\t", 1)[0]
            if user not in seen:
                seen.add(user)
                listed.append(user)
                if len(listed) == args.recommend_users:
                    break
        f.write("\n".join(listed) + "\n")

    def encore_recommend(extra, output):
        start = time.perf_counter()
        done = subprocess.run([args.encore, "recommend-all", model, "--count", "10", "--threads", str(args.threads),
                               "--output", output] + extra, check=True, capture_output=True, text=True)
        wall = time.perf_counter() - start
        found = re.search(r" in ([\d.]+) (ms|s)\b", done.stderr)
        inner = float(found.group(1)) * (1e-3 if found.group(2) == "ms" else 1) if found else None
        return wall, inner

    subset_wall, subset_inner = encore_recommend(["--users", ordered], os.path.join(args.out, "encore-recs-subset.tsv"))
    all_wall, all_inner = encore_recommend([], os.path.join(args.out, "encore-recs-all.tsv"))
    peer_recs = os.path.join(args.out, "implicit-recs-same-factors.tsv")
    stdout, _, _, _ = timed([args.python, os.path.join(HERE, "peer_implicit.py"), "--encore-model", model, "--threads", str(args.threads),
                             "--recommend-users", str(args.recommend_users), "--recs-out", peer_recs, "--write-users", "20000"], env=peer_env)
    peer = json.loads(stdout.strip().splitlines()[-1])
    # Exactness: the same top-10 sets as implicit's brute force on the same factors?
    ours = {}
    for line in open(os.path.join(args.out, "encore-recs-subset.tsv")):
        user, item = line.split("\t", 2)[:2]
        ours.setdefault(user, set()).add(item)
    theirs = {}
    for line in open(peer_recs):
        user, item = line.split("\t", 2)[:2]
        theirs.setdefault(user, set()).add(item)
    same = sum(1 for user, listed_items in theirs.items() if ours.get(user) == listed_items)
    overlap = sum(len(ours.get(user, set()) & listed_items) for user, listed_items in theirs.items()) / max(1, sum(len(v) for v in theirs.values()))
    flops = 2.0 * items * results["runs"][0]["factors"]
    results["recommend"] = {
        "users_compared": args.recommend_users,
        "encore_subset_wall_seconds": subset_wall, "encore_subset_compute_seconds": subset_inner,
        "implicit_subset_seconds": peer["recommend_seconds"],
        "speedup_wall": peer["recommend_seconds"] / subset_wall,
        "speedup_compute": peer["recommend_seconds"] / subset_inner if subset_inner else None,
        "encore_all_users": users, "encore_all_wall_seconds": all_wall, "encore_all_compute_seconds": all_inner,
        "implicit_all_users_extrapolated_seconds": peer["recommend_seconds"] * users / args.recommend_users,
        "encore_all_achieved_gflops": flops * users / 1e9 / (all_inner or all_wall),
        "implicit_achieved_gflops": flops * args.recommend_users / 1e9 / peer["recommend_seconds"],
        "agreement_users_checked": len(theirs), "identical_top10_sets": same, "item_overlap": overlap,
    }
    print("recommend:", json.dumps(results["recommend"]), flush=True)
    save(results, args.out)


def quality_and_spark(args, results, configurations, peer_env):
    # 4. Held-out MAP@10 on one split, one evaluator.
    if not args.skip_quality:
        start = time.perf_counter()
        train, test, users_file = split(args.data, args.out, sample=args.eval_users)
        eval_users = [line.strip() for line in open(users_file) if line.strip()]
        test_items = held_out(test, eval_users)
        print(f"split: {train}, {test}, {len(eval_users)} evaluation users ({time.perf_counter() - start:.0f} s)", flush=True)
        quality = {"split": "80/20 by row, seed 1", "evaluation_users": len(eval_users), "map_at_10": {}}
        for solver, factors in configurations:
            ours = encore_train(args.encore, train, args.out, solver, factors, args.iterations, args.threads, tag="train")
            recs = os.path.join(args.out, f"quality-encore-{solver}-{factors}.tsv")
            subprocess.run([args.encore, "recommend-all", ours["model"], "--count", "10", "--users", users_file,
                            "--threads", str(args.threads), "--output", recs], check=True, capture_output=True)
            quality["map_at_10"][f"encore {solver} k={factors}"] = map_at_10(recs, test_items, eval_users)[0]
        stdout, _, _, _ = timed([args.python, os.path.join(HERE, "peer_implicit.py"), "--data", train,
                                 "--configs", ",".join(f"{s}:{k}" for s, k in configurations), "--iterations", str(args.iterations),
                                 "--threads", str(args.threads), "--users-file", users_file,
                                 "--recs-out", os.path.join(args.out, "quality-implicit-{config}.tsv")], env=peer_env)
        for line in stdout.strip().splitlines():
            peer = json.loads(line)
            quality["map_at_10"][f"implicit {peer['solver']} k={peer['factors']}"] = map_at_10(peer["recs_out"], test_items, eval_users)[0]
        for solver, factors in configurations:
            a, b = quality["map_at_10"][f"encore {solver} k={factors}"], quality["map_at_10"][f"implicit {solver} k={factors}"]
            quality[f"relative_difference {solver} k={factors}"] = (a - b) / b
        results["quality"] = quality
        print("quality:", json.dumps(quality), flush=True)
        save(results, args.out)

    # 5. Spark.
    if not args.skip_spark:
        command = [args.python, os.path.join(HERE, "peer_spark.py"), "--data", args.data,
                   "--factors", "64", "--iterations", "2", "--threads", str(args.threads)]
        if not args.skip_quality:
            factors_out = os.path.join(args.out, "spark-factors")
            command += ["--train", train, "--quality-iterations", str(args.iterations), "--users-file", users_file,
                        "--factors-out", factors_out]
        stdout, _, _, rss = timed(command)
        spark = json.loads(stdout.strip().splitlines()[-1])
        spark["peak_rss_mb_python_by_gnu_time"] = rss
        spark["peak_rss_mb"] = spark.get("peak_rss_mb_jvm", rss)
        nnz, users, items = (results["runs"][0]["encore"][key] for key in ("interactions", "users", "items"))
        add_rates(spark, "spark", "cholesky", 64, nnz, users, items, row_lengths(args.data, args.out))
        results["spark"] = spark
        cholesky = next((r["encore"]["seconds_per_iteration"] for r in results["runs"] if r["solver"] == "cholesky"), float("nan"))
        results["spark_ratio_cholesky64"] = cholesky / spark["seconds_per_iteration"]
        results["spark_ratio_cg64"] = results["runs"][0]["encore"]["seconds_per_iteration"] / spark["seconds_per_iteration"]
        if not args.skip_quality:
            recs = os.path.join(args.out, "quality-spark-64.tsv")
            spark_recommend(factors_out, train, eval_users, recs)
            results["quality"]["map_at_10"]["spark k=64 (its lambda scaling)"] = map_at_10(recs, test_items, eval_users)[0]
        print("spark:", json.dumps(spark), "ratios:", results["spark_ratio_cholesky64"], results["spark_ratio_cg64"], flush=True)
        save(results, args.out)


def spark_recommend(factors_out, train, eval_users, recs):
    """Spark's recommendForUserSubset cannot leave training items out, so Spark's factors are
    exported and scored here: exact top-10 by dot product, training items excluded."""
    import numpy as np

    def load(name):
        ids, rows = [], []
        for line in open(os.path.join(factors_out, name)):
            key, values = line.rstrip("\n").split("\t")
            ids.append(key)
            rows.append(np.array(values.split(" "), dtype=np.float32))
        return ids, np.vstack(rows)

    user_ids, user_factors = load("users.tsv")
    item_ids, item_factors = load("items.tsv")
    item_index = {item: j for j, item in enumerate(item_ids)}
    seen = held_out(train, eval_users)
    row_of = {user: r for r, user in enumerate(user_ids)}
    with open(recs, "w") as out:
        chosen = [u for u in eval_users if u in row_of]
        for start in range(0, len(chosen), 500):
            block = chosen[start:start + 500]
            scores = user_factors[[row_of[u] for u in block]] @ item_factors.T
            for r, user in enumerate(block):
                for item in seen.get(user, ()):
                    if item in item_index:
                        scores[r, item_index[item]] = -np.inf
            top = np.argpartition(-scores, 10, axis=1)[:, :10]
            for r, user in enumerate(block):
                for j in sorted(top[r], key=lambda j: -scores[r, j]):
                    out.write(f"{user}\t{item_ids[j]}\t{scores[r, j]:.6g}\n")


if __name__ == "__main__":
    main()
