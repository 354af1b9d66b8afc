"""Runs `implicit`'s ALS on a user<TAB>item<TAB>plays file and prints one JSON line of timings.

Same model as Encore's `--confidence log --regularization-scaling flat`: implicit takes the
matrix of confidence minus one, alpha * log(1 + r), and keeps lambda flat.
"""
import argparse
import json
import os
import resource
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as implicit's documentation advises
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import implicit  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--solver", choices=["cg", "cholesky"], default="cg")
    parser.add_argument("--regularization", type=float, default=0.1)
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--recommend-users", type=int, default=20000)
    parser.add_argument("--recs-out", help="write top-10 (seen excluded) for the users listed in --users-file")
    parser.add_argument("--users-file")
    args = parser.parse_args()

    start = time.perf_counter()
    frame = pd.read_csv(args.data, sep="\t", header=None, names=["user", "item", "plays"],
                        dtype={"user": "category", "item": "category", "plays": np.float32}, quoting=3)
    users = frame["user"].cat.codes.to_numpy()
    items = frame["item"].cat.codes.to_numpy()
    matrix = sp.csr_matrix((args.alpha * np.log1p(frame["plays"].to_numpy()), (users, items)),
                           shape=(len(frame["user"].cat.categories), len(frame["item"].cat.categories)), dtype=np.float32)
    ingest = time.perf_counter() - start

    model = implicit.cpu.als.AlternatingLeastSquares(
        factors=args.factors, regularization=args.regularization, alpha=1.0, iterations=args.iterations,
        use_cg=args.solver == "cg", num_threads=args.threads, random_state=1)
    stamps = []
    start = time.perf_counter()
    model.fit(matrix, show_progress=False, callback=lambda iteration, elapsed, loss: stamps.append(time.perf_counter()))
    fit = time.perf_counter() - start
    per_iteration = [b - a for a, b in zip([start] + stamps[:-1], stamps)]

    result = {"system": f"implicit {implicit.__version__}", "solver": args.solver, "factors": args.factors,
              "ingest_seconds": ingest, "fit_seconds": fit, "seconds_per_iteration": sorted(per_iteration)[len(per_iteration) // 2]}
    if args.recommend_users:
        chosen = np.arange(min(args.recommend_users, matrix.shape[0]))
        start = time.perf_counter()
        model.recommend(chosen, matrix[chosen], N=10, filter_already_liked_items=True)
        result["recommend_users"] = int(len(chosen))
        result["recommend_seconds"] = time.perf_counter() - start
    if args.recs_out and args.users_file:
        names = frame["user"].cat.categories
        index = {name: code for code, name in enumerate(names)}
        wanted = [index[line.strip()] for line in open(args.users_file) if line.strip() in index]
        ids, _ = model.recommend(np.array(wanted), matrix[wanted], N=10, filter_already_liked_items=True)
        item_names = frame["item"].cat.categories
        with open(args.recs_out, "w") as out:
            for row, user in enumerate(wanted):
                for item in ids[row]:
                    out.write(f"{names[user]}\t{item_names[item]}\t0\n")
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
