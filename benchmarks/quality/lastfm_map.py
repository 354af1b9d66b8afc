"""Issue #2's quality benchmark: Encore against `implicit` on HetRec Last.fm 2K.

One random 80/20 split of the (user, artist) pairs (seed 1), the same hyperparameters for both
(log confidence, alpha 0.5, lambda 10 flat, 64 factors, 15 iterations, CG and Cholesky), and one
evaluator — MAP@10 over the test users, AP@10 divided by min(10, |test items|), training items
excluded from both systems' lists. Run through benchmarks/quality/run.sh.
"""
import argparse
import json
import os
import subprocess
import sys
import time

os.environ["OPENBLAS_NUM_THREADS"] = "1"  # implicit's own threads only, as its docs advise
import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import implicit  # noqa: E402

HYPERPARAMETERS = dict(factors=64, regularization=10.0, alpha=0.5, iterations=15)


def split(path, out_dir, seed=1, test_fraction=0.2):
    rows = [line.rstrip("\r\n").split("\t") for line in open(path, encoding="utf-8") if line.strip()]
    # Skip a header line only if there is one (the copy in ../shared has none).
    if rows and not rows[0][2].replace(".", "", 1).isdigit():
        rows = rows[1:]
    order = np.random.default_rng(seed).permutation(len(rows))
    cut = int(len(rows) * test_fraction)
    test = [rows[i] for i in order[:cut]]
    train = [rows[i] for i in order[cut:]]
    train_path = os.path.join(out_dir, "train.tsv")
    with open(train_path, "w", encoding="utf-8") as f:
        for user, item, weight in train:
            f.write(f"{user}\t{item}\t{weight}\n")
    return train, test, train_path


def map_at_k(recommendations, truth, k=10):
    """The one evaluator both systems go through."""
    total = 0.0
    for user, relevant in truth.items():
        hits, precision_sum = 0, 0.0
        for rank, item in enumerate(recommendations.get(user, [])[:k]):
            if item in relevant:
                hits += 1
                precision_sum += hits / (rank + 1)
        total += precision_sum / min(k, len(relevant))
    return total / len(truth)


def run_implicit(train, solver, threads):
    users = sorted({u for u, _, _ in train})
    items = sorted({i for _, i, _ in train})
    user_index = {u: n for n, u in enumerate(users)}
    item_index = {i: n for n, i in enumerate(items)}
    weights = np.array([float(w) for _, _, w in train])
    matrix = sp.csr_matrix(
        (weights, ([user_index[u] for u, _, _ in train], [item_index[i] for _, i, _ in train])),
        shape=(len(users), len(items)), dtype=np.float32)
    # implicit takes confidence minus one, alpha * g(r); g = log(1 + r) here, alpha applied here.
    confidence = matrix.copy()
    confidence.data = HYPERPARAMETERS["alpha"] * np.log1p(confidence.data)
    model = implicit.cpu.als.AlternatingLeastSquares(
        factors=HYPERPARAMETERS["factors"], regularization=HYPERPARAMETERS["regularization"], alpha=1.0,
        iterations=HYPERPARAMETERS["iterations"], use_cg=solver == "cg", random_state=1, num_threads=threads)
    start = time.perf_counter()
    model.fit(confidence, show_progress=False)
    fit_seconds = time.perf_counter() - start
    ids, _ = model.recommend(np.arange(len(users)), confidence, N=10, filter_already_liked_items=True)
    return {users[u]: [items[i] for i in ids[u]] for u in range(len(users))}, fit_seconds


def run_encore(binary, train_path, solver, threads, out_dir):
    model = os.path.join(out_dir, f"encore-{solver}.model")
    recs_path = os.path.join(out_dir, f"encore-{solver}-recs.tsv")
    train = subprocess.run(
        [binary, "train", train_path, "--output", model, "--confidence", "log", "--alpha", "0.5",
         "--regularization", "10", "--regularization-scaling", "flat", "--factors", "64",
         "--iterations", "15", "--solver", solver, "--seed", "1", "--threads", str(threads), "--quiet"],
        check=True, capture_output=True, text=True)
    summary = json.loads(train.stdout.strip().splitlines()[-1])
    subprocess.run([binary, "recommend-all", model, "--count", "10", "--output", recs_path], check=True,
                   capture_output=True)
    recommendations = {}
    for line in open(recs_path, encoding="utf-8"):
        user, item, _ = line.rstrip("\n").split("\t")
        recommendations.setdefault(user, []).append(item)
    return recommendations, summary["train_seconds"]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--encore", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    train, test, train_path = split(args.data, args.out)
    known_users = {u for u, _, _ in train}
    known_items = {i for _, i, _ in train}
    truth = {}
    for user, item, _ in test:
        if user in known_users and item in known_items:
            truth.setdefault(user, set()).add(item)
    print(f"Last.fm 2K, random 80/20 split (seed 1): {len(train)} train pairs, {len(truth)} test users; "
          f"implicit {implicit.__version__}, {args.threads} threads")
    print(f"{'solver':10} {'implicit MAP@10':>16} {'Encore MAP@10':>14} {'Encore/implicit':>16} {'within 3%':>10}")
    failed = False
    for solver in ("cg", "cholesky"):
        peer, _ = run_implicit(train, solver, args.threads)
        ours, _ = run_encore(args.encore, train_path, solver, args.threads, args.out)
        peer_map, our_map = map_at_k(peer, truth), map_at_k(ours, truth)
        ok = our_map >= 0.97 * peer_map
        failed |= not ok
        print(f"{solver:10} {peer_map:16.4f} {our_map:14.4f} {our_map / peer_map:16.3f} {'yes' if ok else 'NO':>10}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
