"""Runs Spark MLlib's ALS(implicitPrefs=True) in local[N] mode on a user<TAB>item<TAB>plays file.

Spark has no per-iteration hook, so it is fitted twice, with maxIter = 1 and maxIter = 1 + K: the
difference over K is the time of one iteration, the rest is Spark's fixed cost. Spark's
confidence is linear in the rating, so the ratings are given as log(1 + plays) to train the same
model as Encore's --confidence log (Spark keeps its own lambda scaling).

With --train, a further fit on the training split (maxIter = --quality-iterations) exports the
factors of the --users-file users and of every item to --factors-out (id<TAB>space-separated
floats), for bench.py's evaluator: Spark's own recommend cannot leave training items out.
"""
import argparse
import json
import os
import resource
import time

from pyspark.sql import SparkSession, functions as F
from pyspark.ml.feature import StringIndexer
from pyspark.ml.recommendation import ALS


def load(spark, path):
    frame = spark.read.csv(path, sep="\t", schema="user STRING, item STRING, plays DOUBLE")
    users = StringIndexer(inputCol="user", outputCol="u").fit(frame)
    items = StringIndexer(inputCol="item", outputCol="i").fit(frame)
    frame = items.transform(users.transform(frame))
    frame = frame.select(F.col("u").cast("int"), F.col("i").cast("int"), F.log1p("plays").alias("r")).cache()
    return frame, frame.count(), users.labels, items.labels


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--recommend-users", type=int, default=2000, help="users for recommendForUserSubset (slow in local mode)")
    parser.add_argument("--train")
    parser.add_argument("--quality-iterations", type=int, default=3)
    parser.add_argument("--users-file")
    parser.add_argument("--factors-out")
    args = parser.parse_args()
    spark = (SparkSession.builder.master(f"local[{args.threads}]").appName("encore-bench")
             .config("spark.driver.memory", "12g").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    start = time.perf_counter()
    frame, count, _, _ = load(spark, args.data)
    ingest = time.perf_counter() - start

    def als(iterations):
        return ALS(rank=args.factors, maxIter=iterations, regParam=0.1, alpha=1.0, implicitPrefs=True,
                   userCol="u", itemCol="i", ratingCol="r", seed=1)

    timings = {}
    for iterations in (1, 1 + args.iterations):
        start = time.perf_counter()
        model = als(iterations).fit(frame)
        model.userFactors.count()
        timings[iterations] = time.perf_counter() - start
    per_iteration = (timings[1 + args.iterations] - timings[1]) / args.iterations
    start = time.perf_counter()
    model.recommendForUserSubset(frame.select("u").distinct().limit(args.recommend_users), 10).count()
    recommend = time.perf_counter() - start
    result = {"system": "spark %s local[%d]" % (spark.version, args.threads), "solver": "cholesky (Spark's normal equations)",
              "factors": args.factors, "rows": count, "ingest_seconds": ingest, "seconds_per_iteration": per_iteration,
              "fit_seconds": timings, "fixed_seconds": timings[1] - per_iteration,
              "recommend_users": args.recommend_users, "recommend_seconds_seen_not_excluded": recommend}
    frame.unpersist()

    if args.train:
        train, _, user_labels, item_labels = load(spark, args.train)
        start = time.perf_counter()
        model = als(args.quality_iterations).fit(train)
        wanted = {line.strip() for line in open(args.users_file) if line.strip()}
        codes = spark.createDataFrame([(j,) for j, label in enumerate(user_labels) if label in wanted], "id INT")
        os.makedirs(args.factors_out, exist_ok=True)
        with open(os.path.join(args.factors_out, "users.tsv"), "w") as out:
            for row in model.userFactors.join(codes, "id").collect():
                out.write(f"{user_labels[row.id]}\t{' '.join(repr(x) for x in row.features)}\n")
        with open(os.path.join(args.factors_out, "items.tsv"), "w") as out:
            for row in model.itemFactors.toLocalIterator():
                out.write(f"{item_labels[row.id]}\t{' '.join(repr(x) for x in row.features)}\n")
        result["quality_fit_and_export_seconds"] = time.perf_counter() - start
    result["peak_rss_mb_driver_python"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:  # the JVM is not a child GNU time waits for, so read its high-water mark here
        jvm = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
        hwm = next(line for line in open(f"/proc/{jvm}/status") if line.startswith("VmHWM"))
        result["peak_rss_mb_jvm"] = int(hwm.split()[1]) / 1024
    except Exception as error:  # noqa: BLE001 - a missing figure must not lose the run
        result["peak_rss_mb_jvm_error"] = str(error)
    print(json.dumps(result))
    spark.stop()


if __name__ == "__main__":
    main()
