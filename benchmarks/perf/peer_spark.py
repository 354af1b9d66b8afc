"""Runs Spark MLlib's ALS(implicitPrefs=True) in local[N] mode on a user<TAB>item<TAB>plays file.

Spark has no per-iteration hook, so it is fitted twice, with maxIter = 1 and maxIter = 1 + K: the
difference over K is the time of one iteration, the rest is Spark's fixed cost. Spark's
confidence is linear in the rating, so the ratings are given as log(1 + plays) to train the same
model as Encore's --confidence log (Spark keeps its own lambda scaling).
"""
import argparse
import json
import resource
import time

from pyspark.sql import SparkSession, functions as F
from pyspark.ml.feature import StringIndexer
from pyspark.ml.recommendation import ALS


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    spark = (SparkSession.builder.master(f"local[{args.threads}]").appName("encore-bench")
             .config("spark.driver.memory", "12g").config("spark.ui.enabled", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    start = time.perf_counter()
    frame = spark.read.csv(args.data, sep="\t", schema="user STRING, item STRING, plays DOUBLE")
    frame = StringIndexer(inputCol="user", outputCol="u").fit(frame).transform(frame)
    frame = StringIndexer(inputCol="item", outputCol="i").fit(frame).transform(frame)
    frame = frame.select(F.col("u").cast("int"), F.col("i").cast("int"), F.log1p("plays").alias("r")).cache()
    count = frame.count()
    ingest = time.perf_counter() - start
    timings = {}
    for iterations in (1, 1 + args.iterations):
        als = ALS(rank=args.factors, maxIter=iterations, regParam=0.1, alpha=1.0, implicitPrefs=True,
                  userCol="u", itemCol="i", ratingCol="r", seed=1)
        start = time.perf_counter()
        model = als.fit(frame)
        model.userFactors.count()
        timings[iterations] = time.perf_counter() - start
    per_iteration = (timings[1 + args.iterations] - timings[1]) / args.iterations
    start = time.perf_counter()
    model.recommendForUserSubset(frame.select("u").distinct().limit(20000), 10).count()
    recommend = time.perf_counter() - start
    print(json.dumps({"system": "spark 3.5 local[%d]" % args.threads, "solver": "cholesky", "factors": args.factors,
                      "rows": count, "ingest_seconds": ingest, "seconds_per_iteration": per_iteration,
                      "fixed_seconds": timings[1] - per_iteration, "recommend_users": 20000, "recommend_seconds": recommend,
                      "peak_rss_mb_driver_python": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    spark.stop()


if __name__ == "__main__":
    main()
