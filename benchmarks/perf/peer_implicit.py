"""Runs `implicit`'s ALS on a user<TAB>item<TAB>plays file and prints one JSON line of timings
per configuration.

Same model as Encore's `--confidence log --regularization-scaling flat`: implicit takes the
matrix of confidence minus one, alpha * log(1 + r), and keeps lambda flat.

Second mode, `--encore-model MODEL`: loads the factors and training matrix of an Encore model
file (docs/model-file.md) into implicit and times implicit's batched `recommend` (top-10, seen
items excluded) on exactly the factors Encore recommends from.
"""
import argparse
import json
import os
import resource
import struct
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as implicit's documentation advises
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import implicit  # noqa: E402


def read_encore_model(path):
    """Reads an Encore model file of any version (docs/model-file.md): (user IDs, item IDs, user
    factors, item factors, users × items CSR)."""
    data = open(path, "rb").read()
    assert data[:8] == b"ENCOREMF", f"{path} is not an Encore model file"
    version = struct.unpack_from("<I", data, 8)[0]
    assert 1 <= version <= 4, f"{path}: model file version {version} is not one this script reads"
    aligned = version >= 3  # arrays start on a 64-byte file offset; ID tables carry a hash table
    position = 24

    def count():
        nonlocal position
        value = struct.unpack_from("<Q", data, position)[0]
        position += 8
        return value

    def array(dtype):
        nonlocal position
        n = count()
        if aligned:
            position = (position + 63) // 64 * 64
        values = np.frombuffer(data, dtype=dtype, count=n, offset=position)
        position += n * np.dtype(dtype).itemsize
        return values

    def table(hashed):
        offsets = array("<u8")
        blob = array("u1").tobytes()
        if hashed and aligned:
            array("<u4")  # the hash table's slots
        return [blob[offsets[j]:offsets[j + 1]].decode() for j in range(len(offsets) - 1)]

    header_bytes = count()
    header = json.loads(data[position:position + header_bytes])
    position += header_bytes
    users, items = table(True), table(True)
    if header["hasItemNames"]:
        table(False)
    k = header["factors"]
    stride = max(16, (k + 15) // 16 * 16) if aligned else k
    user_factors = array("<f4").reshape(len(users), stride)[:, :k]
    item_factors = array("<f4").reshape(len(items), stride)[:, :k]
    offsets, indices, weights = array("<i8"), array("<u4"), array("<f4")
    matrix = sp.csr_matrix((weights, indices.astype(np.int32), offsets), shape=(len(users), len(items)))
    return users, items, np.ascontiguousarray(user_factors), np.ascontiguousarray(item_factors), matrix


def recommend_on_encore_factors(args):
    users, items, user_factors, item_factors, matrix = read_encore_model(args.encore_model)
    model = implicit.cpu.als.AlternatingLeastSquares(factors=user_factors.shape[1], num_threads=args.threads)
    model.user_factors, model.item_factors = user_factors, item_factors
    chosen = np.arange(len(users) if args.recommend_users <= 0 else min(args.recommend_users, len(users)))
    start = time.perf_counter()
    ids, scores = model.recommend(chosen, matrix[chosen], N=10, filter_already_liked_items=True)
    seconds = time.perf_counter() - start
    if args.recs_out:
        with open(args.recs_out, "w") as out:
            for row in range(min(len(chosen), args.write_users)):
                for item, score in zip(ids[row], scores[row]):
                    out.write(f"{users[chosen[row]]}\t{items[item]}\t{score:.6g}\n")
    print(json.dumps({"system": f"implicit {implicit.__version__}", "recommend_users": int(len(chosen)),
                      "recommend_seconds": seconds, "factors": int(user_factors.shape[1])}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data")
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--solver", choices=["cg", "cholesky"], default="cg")
    parser.add_argument("--configs", help="several fits after one ingest, e.g. cg:64,cg:128,cholesky:64 (overrides --solver/--factors)")
    parser.add_argument("--regularization", type=float, default=0.1)
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--recommend-users", type=int, default=0)
    parser.add_argument("--recs-out", help="write top-10 (seen excluded) for the users in --users-file; {config} is replaced by solver-factors")
    parser.add_argument("--users-file")
    parser.add_argument("--encore-model", help="time recommend on this Encore model's factors instead of training")
    parser.add_argument("--write-users", type=int, default=20000, help="with --encore-model: how many users' recommendations to write")
    args = parser.parse_args()
    if args.encore_model:
        recommend_on_encore_factors(args)
        return

    start = time.perf_counter()
    frame = pd.read_csv(args.data, sep="\t", header=None, names=["user", "item", "plays"],
                        dtype={"user": "category", "item": "category", "plays": np.float32}, quoting=3)
    users = frame["user"].cat.codes.to_numpy()
    items = frame["item"].cat.codes.to_numpy()
    matrix = sp.csr_matrix((args.alpha * np.log1p(frame["plays"].to_numpy()), (users, items)),
                           shape=(len(frame["user"].cat.categories), len(frame["item"].cat.categories)), dtype=np.float32)
    ingest = time.perf_counter() - start
    names = frame["user"].cat.categories
    item_names = frame["item"].cat.categories
    del frame, users, items

    configs = ([(c.split(":")[0], int(c.split(":")[1])) for c in args.configs.split(",")] if args.configs
               else [(args.solver, args.factors)])
    for solver, factors in configs:
        model = implicit.cpu.als.AlternatingLeastSquares(
            factors=factors, regularization=args.regularization, alpha=1.0, iterations=args.iterations,
            use_cg=solver == "cg", num_threads=args.threads, random_state=1)
        stamps = []
        start = time.perf_counter()
        model.fit(matrix, show_progress=False, callback=lambda iteration, elapsed, loss: stamps.append(time.perf_counter()))
        fit = time.perf_counter() - start
        per_iteration = [b - a for a, b in zip([start] + stamps[:-1], stamps)]

        result = {"system": f"implicit {implicit.__version__}", "solver": solver, "factors": factors,
                  "ingest_seconds": ingest, "fit_seconds": fit, "iteration_seconds": per_iteration,
                  "seconds_per_iteration": sorted(per_iteration)[len(per_iteration) // 2]}
        if args.recommend_users:
            chosen = np.arange(min(args.recommend_users, matrix.shape[0]))
            start = time.perf_counter()
            model.recommend(chosen, matrix[chosen], N=10, filter_already_liked_items=True)
            result["recommend_users"] = int(len(chosen))
            result["recommend_seconds"] = time.perf_counter() - start
        if args.recs_out and args.users_file:
            index = {name: code for code, name in enumerate(names)}
            wanted = np.array([index[line.strip()] for line in open(args.users_file) if line.strip() in index])
            ids, scores = model.recommend(wanted, matrix[wanted], N=10, filter_already_liked_items=True)
            path = args.recs_out.replace("{config}", f"{solver}-{factors}")
            with open(path, "w") as out:
                for row, user in enumerate(wanted):
                    for item, score in zip(ids[row], scores[row]):
                        out.write(f"{names[user]}\t{item_names[item]}\t{score:.6g}\n")
            result["recs_out"] = path
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
