"""Issue #4's harness: Encore against `implicit` and Spark on one play log, same hyperparameters,
same thread count, ratios from the same run. Run it through benchmarks/perf/run.sh.

Model for every system: implicit ALS, log confidence c = 1 + log(1 + plays), flat lambda 0.1
(Spark: its own lambda scaling), seeded random start.
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(command, env=None):
    """Runs a command under GNU time; returns (stdout, stderr, wall seconds, peak RSS in MB)."""
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v"] + command, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stderr[-3000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1)) / 1024
    return done.stdout, done.stderr, wall, rss


def encore_train(encore, data, out, solver, factors, iterations, threads):
    model = os.path.join(out, f"encore-{solver}-{factors}-{threads}.model")
    stdout, stderr, _, rss = timed([encore, "train", data, "--output", model, "--solver", solver, "--factors", str(factors),
                                    "--iterations", str(iterations), "--threads", str(threads), "--confidence", "log",
                                    "--regularization", "0.1", "--regularization-scaling", "flat", "--seed", "1"])
    summary = json.loads(stdout.strip().splitlines()[-1])
    seconds = [float(m.group(1)) * (1e-3 if m.group(2) == "ms" else 1)
               for m in re.finditer(r"iteration \d+/\d+: loss \S+ \(([\d.]+) (s|ms)\)", stderr)]
    return {"system": "encore", "solver": solver, "factors": factors, "threads": threads,
            "ingest_seconds": summary["read_seconds"], "seconds_per_iteration": sorted(seconds)[len(seconds) // 2],
            "peak_rss_mb": rss, "model": model, "interactions": summary["interactions"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--encore", required=True)
    parser.add_argument("--python", required=True, help="the virtualenv's python with implicit and pyspark")
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--skip-cholesky", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    results = {"date": time.strftime("%Y-%m-%d"), "machine": {}, "runs": []}

    probe = os.path.join(args.out, "machine_probe")
    subprocess.run(["gcc", "-O3", "-march=native", "-o", probe, os.path.join(HERE, "machine_probe.c")]
                   + subprocess.run(["pkg-config", "--cflags", "--libs", "openblas"], capture_output=True, text=True).stdout.split(), check=True)
    for line in subprocess.run([probe], capture_output=True, text=True, check=True).stdout.splitlines():
        key, value = line.split()
        results["machine"][key] = float(value)
    results["machine"]["cpu"] = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    results["machine"]["cores"] = os.cpu_count()
    print("machine:", json.dumps(results["machine"]), flush=True)

    configurations = [("cg", 64), ("cg", 128)] + ([] if args.skip_cholesky else [("cholesky", 64)])
    for solver, factors in configurations:
        ours = encore_train(args.encore, args.data, args.out, solver, factors, args.iterations, args.threads)
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
        stdout, _, _, rss = timed([args.python, os.path.join(HERE, "peer_implicit.py"), "--data", args.data, "--solver", solver,
                                   "--factors", str(factors), "--iterations", str(args.iterations), "--threads", str(args.threads),
                                   "--recommend-users", "20000" if (solver, factors) == ("cg", 64) else "0"], env=env)
        peer = json.loads(stdout.strip().splitlines()[-1])
        peer["peak_rss_mb"] = rss
        ratio = ours["seconds_per_iteration"] / peer["seconds_per_iteration"]
        print(f"{solver} k={factors}: Encore {ours['seconds_per_iteration']:.2f} s/it, implicit {peer['seconds_per_iteration']:.2f} s/it, "
              f"Encore/implicit = {ratio:.3f}", flush=True)
        results["runs"].append({"solver": solver, "factors": factors, "encore": ours, "implicit": peer, "ratio": ratio})

    # Thread scaling of Encore's CG, k = 64.
    single = encore_train(args.encore, args.data, args.out, "cg", 64, args.iterations, 1)
    results["thread_scaling"] = {"threads_1": single["seconds_per_iteration"],
                                 f"threads_{args.threads}": results["runs"][0]["encore"]["seconds_per_iteration"]}
    print("thread scaling:", json.dumps(results["thread_scaling"]), flush=True)

    # Top-10 for the same 20,000 users, seen items excluded, on the k = 64 CG factors.
    model = results["runs"][0]["encore"]["model"]
    users = os.path.join(args.out, "users-20000.txt")
    with open(users, "w") as f:
        seen = []
        for line in open(args.data):
            user = line.split("\t", 1)[0]
            if user not in seen:
                seen.append(user)
            if len(seen) == 20000:
                break
        f.write("\n".join(seen) + "\n")
    start = time.perf_counter()
    subprocess.run([args.encore, "recommend-all", model, "--count", "10", "--users", users, "--threads", str(args.threads),
                    "--output", os.path.join(args.out, "encore-recs-20000.tsv")], check=True, capture_output=True)
    subset = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run([args.encore, "recommend-all", model, "--count", "10", "--threads", str(args.threads),
                    "--output", os.path.join(args.out, "encore-recs-all.tsv")], check=True, capture_output=True)
    everyone = time.perf_counter() - start
    peer_recommend = results["runs"][0]["implicit"]["recommend_seconds"]
    results["recommend"] = {"encore_20000_users_seconds": subset, "encore_all_users_seconds": everyone,
                            "implicit_20000_users_seconds": peer_recommend, "speedup": peer_recommend / subset}
    print("recommend:", json.dumps(results["recommend"]), flush=True)

    if not args.skip_spark:
        stdout, _, _, rss = timed([args.python, os.path.join(HERE, "peer_spark.py"), "--data", args.data,
                                   "--factors", "64", "--iterations", "2", "--threads", str(args.threads)])
        spark = json.loads(stdout.strip().splitlines()[-1])
        spark["peak_rss_mb"] = rss
        results["spark"] = spark
        results["spark_ratio_cholesky64"] = next((r["encore"]["seconds_per_iteration"] for r in results["runs"] if r["solver"] == "cholesky"), float("nan")) / spark["seconds_per_iteration"]
        print("spark:", json.dumps(spark), flush=True)

    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    print("wrote", os.path.join(args.out, "results.json"))


if __name__ == "__main__":
    main()
