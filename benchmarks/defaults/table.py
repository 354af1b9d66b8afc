"""Markdown tables from benchmarks/defaults/run.sh's results.jsonl and timings.jsonl."""
import json
import statistics
import sys

results = [json.loads(line) for line in open(sys.argv[1])]
timings = [json.loads(line) for line in open(sys.argv[2])] if len(sys.argv) > 2 else []


def label(r):
    if r["model"] == "als":
        return "ALS, Spark's defaults (`--spark-defaults`)" if r["variant"] == "spark" else "**ALS, defaults** (no model flags)"
    return {"popularity": "popularity", "item-knn (bm25)": "item-kNN, BM25", "item-knn (none)": "item-kNN, no weighting"}[r["model"]]


order = ["**ALS, defaults** (no model flags)", "ALS, Spark's defaults (`--spark-defaults`)", "popularity", "item-kNN, BM25", "item-kNN, no weighting"]
metrics = [("map", "MAP@10"), ("ndcg", "NDCG@10"), ("precision", "precision@10"), ("recall", "recall@10"), ("auc", "AUC"),
           ("mean_percentile_rank", "MPR"), ("coverage", "coverage")]
datasets = list(dict.fromkeys(r["data"] for r in results))
for data in datasets:
    rows = [r for r in results if r["data"] == data]
    print(f"\n**{data}** ({rows[0]['users']} users scored, seeds {', '.join(str(s) for s in sorted({r['seed'] for r in rows}))})\n")
    print("| model | " + " | ".join(name for _, name in metrics) + " | seconds |")
    print("|---|" + "---|" * (len(metrics) + 1))
    for name in order:
        group = [r for r in rows if label(r) == name]
        if not group:
            continue
        maps = [r["map"] for r in group]
        cells = [f"{statistics.mean(maps):.4f} ± {statistics.pstdev(maps):.4f}"]
        cells += [f"{statistics.mean(r[key] for r in group):.4f}" for key, _ in metrics[1:]]
        cells.append(f"{statistics.mean(r['seconds'] for r in group):.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
if timings:
    print("\n| log | users × items, pairs | defaults: train s (s per iteration) | Spark's defaults: train s (s per iteration) |")
    print("|---|---|---|---|")
    for data in dict.fromkeys(t["data"] for t in timings):
        pair = {t["preset"]: t for t in timings if t["data"] == data}
        d, s = pair["defaults"], pair["--spark-defaults"]
        print(f"| {data} | {d['users']:,} × {d['items']:,}, {d['interactions']:,} | {d['train_seconds']:.2f} ({d['seconds_per_iteration']:.3f}) "
              f"| {s['train_seconds']:.2f} ({s['seconds_per_iteration']:.3f}) |")
