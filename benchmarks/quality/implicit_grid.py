"""`implicit`'s best of a 32-point grid, on Encore's own split and scored by Encore's evaluator.

The split is Encore's (`TrainTestSplit`, strategy random), ported here draw for draw: the same
SplitMix64 stream, the same Fisher-Yates shuffle as Swift's `shuffle(using:)`, the same pair
order (users and items numbered by first appearance, each user's items by number). The
validation part is carved from the training part the same way with seed + 1, as `encore tune`
does. `--check` prints popularity's test MAP@10 on the split, to compare with
`encore evaluate FILE --model popularity --seed SEED`: equal figures mean the split and the
evaluator (AP@10 over min(10, |held-out|), training items excluded, users with both training
and test pairs scored) are Encore's.

Grid (32 points, k 64, 15 iterations, conjugate gradient, `implicit`'s defaults otherwise):
confidence log (α·log(1 + r)) or linear (α·r), α in {1, 2, 4, 8}, flat λ in {10, 30, 100, 300}.
Each point is trained on the validation-training part and scored on the validation part; the
winner is retrained on the whole training part and scored once on the test part.
"""
import argparse
import os
import sys
import time

os.environ["OPENBLAS_NUM_THREADS"] = "1"  # implicit's own threads only, as its docs advise
import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import implicit  # noqa: E402

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


class SplitMix64:
    """Encore's RandomSource, bit for bit."""

    def __init__(self, seed, stream=None, row=0):
        if stream is None:
            self.state = seed & MASK
            return
        mixer = SplitMix64(seed ^ ((stream * GOLDEN) & MASK))
        mixer.next()
        mixer.next()
        self.state = mixer.next() ^ ((row * 0xD1B54A32D192ED03) & MASK)

    def next(self):
        self.state = (self.state + GOLDEN) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, bound):
        """Swift's `next(upperBound:)` (Lemire's multiply-shift with rejection)."""
        product = self.next() * bound
        if product & MASK < bound:
            threshold = ((1 << 64) - bound) % bound
            while product & MASK < threshold:
                product = self.next() * bound
        return product >> 64


def shuffle(values, random):
    """Swift's `MutableCollection.shuffle(using:)`."""
    amount, current = len(values), 0
    while amount > 1:
        other = current + random.below(amount)
        amount -= 1
        values[current], values[other] = values[other], values[current]
        current += 1


def load(path):
    """Distinct (user, item) pairs with summed weights, in Encore's order."""
    users, items, weights = {}, {}, {}
    for line in open(path, encoding="utf-8"):
        fields = [field.strip() for field in line.split("\t")]  # Encore trims IDs too
        if len(fields) < 3:
            continue
        try:
            weight = float(fields[2])
        except ValueError:
            continue  # a header line
        u = users.setdefault(fields[0], len(users))
        i = items.setdefault(fields[1], len(items))
        weights[(u, i)] = weights.get((u, i), 0.0) + weight
    pairs = sorted(weights)
    return (np.array([u for u, _ in pairs]), np.array([i for _, i in pairs]),
            np.array([weights[p] for p in pairs], dtype=np.float32), len(users), len(items))


def split(users, test_fraction, seed):
    """Encore's TrainTestSplit, strategy random: a boolean test mask over the pairs."""
    order = list(range(len(users)))
    shuffle(order, SplitMix64(seed, stream=7, row=0))
    is_test = np.zeros(len(users), dtype=bool)
    is_test[order[:int(np.floor(len(order) * test_fraction + 0.5))]] = True
    kept = np.bincount(users[~is_test], minlength=users.max() + 1)
    is_test[is_test & (kept[users] == 0)] = False  # a user with nothing left to train on
    return is_test


def matrix(users, items, weights, shape):
    return sp.csr_matrix((weights, (users, items)), shape=shape, dtype=np.float32)


def mean_ap(scores_of, train, test, k=10):
    """Encore's MAP@k: training items excluded, AP over min(k, |held-out|)."""
    scored = [u for u in range(test.shape[0]) if test.indptr[u + 1] > test.indptr[u] and train.indptr[u + 1] > train.indptr[u]]
    total = 0.0
    for start in range(0, len(scored), 256):
        batch = scored[start:start + 256]
        scores = scores_of(batch)
        for row, u in enumerate(batch):
            s = scores[row]
            s[train.indices[train.indptr[u]:train.indptr[u + 1]]] = -np.inf
            top = np.argsort(-s, kind="stable")[:k]  # ties to the lower item number, as Encore's TopK
            relevant = set(test.indices[test.indptr[u]:test.indptr[u + 1]].tolist())
            hits, precision_sum = 0, 0.0
            for rank, item in enumerate(top.tolist()):
                if item in relevant:
                    hits += 1
                    precision_sum += hits / (rank + 1)
            total += precision_sum / min(k, len(relevant))
    return total / len(scored)


def fit_implicit(train, confidence, alpha, regularization, factors, threads, seed):
    c = train.copy()
    c.data = alpha * (np.log1p(c.data) if confidence == "log" else c.data)
    model = implicit.cpu.als.AlternatingLeastSquares(
        factors=factors, regularization=regularization, alpha=1.0, iterations=15,
        random_state=seed, num_threads=threads)
    model.fit(c, show_progress=False)
    return lambda batch: np.asarray(model.user_factors[batch]) @ np.asarray(model.item_factors).T


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", help="user<TAB>item<TAB>plays (a header line is skipped)")
    parser.add_argument("--seed", type=int, default=0, help="Encore's split seed (encore evaluate/tune --seed)")
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--check", action="store_true", help="print popularity's test MAP@10 and stop")
    args = parser.parse_args()

    users, items, weights, n_users, n_items = load(args.data)
    shape = (n_users, n_items)
    is_test = split(users, args.test_fraction, args.seed)
    train = matrix(users[~is_test], items[~is_test], weights[~is_test], shape)
    test = matrix(users[is_test], items[is_test], weights[is_test], shape)
    print(f"{args.data}: {(~is_test).sum()} training pairs, {is_test.sum()} test pairs (seed {args.seed}); "
          f"implicit {implicit.__version__}, {args.threads} threads", flush=True)
    if args.check:
        listeners = np.bincount(train.indices, minlength=n_items).astype(np.float64)
        print(f"popularity test MAP@10 {mean_ap(lambda b: np.tile(listeners, (len(b), 1)), train, test):.6f}")
        return

    tu, ti, tw = users[~is_test], items[~is_test], weights[~is_test]
    is_validation = split(tu, args.test_fraction, args.seed + 1)
    fit_part = matrix(tu[~is_validation], ti[~is_validation], tw[~is_validation], shape)
    validation = matrix(tu[is_validation], ti[is_validation], tw[is_validation], shape)
    trials = []
    for confidence in ("log", "linear"):
        for alpha in (1.0, 2.0, 4.0, 8.0):
            for regularization in (10.0, 30.0, 100.0, 300.0):
                start = time.perf_counter()
                scores = fit_implicit(fit_part, confidence, alpha, regularization, args.factors, args.threads, args.seed)
                value = mean_ap(scores, fit_part, validation)
                trials.append((value, confidence, alpha, regularization))
                print(f"{confidence:6} α {alpha:<4} λ {regularization:<5} validation MAP@10 {value:.4f} "
                      f"({time.perf_counter() - start:.1f} s)", flush=True)
    value, confidence, alpha, regularization = max(trials)
    scores = fit_implicit(train, confidence, alpha, regularization, args.factors, args.threads, args.seed)
    print(f"best: {confidence} α {alpha} λ {regularization} k {args.factors}, validation MAP@10 {value:.4f}, "
          f"test MAP@10 {mean_ap(scores, train, test):.4f}")


if __name__ == "__main__":
    sys.exit(main())
