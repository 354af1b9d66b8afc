"""Turns encore-mpi's JSON summaries (one per line) into the Markdown table of docs/distributed.md."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print("| P | strategy | s/iteration | MB sent/iteration (measured) | MB (formula) | peak RSS per process, max (MB) | read s | setup s |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['processes']} | {r['strategy']} | {r['seconds_per_iteration']:.2f} | {r['bytes_per_iteration'] / 1e6:,.1f} | "
          f"{r['predicted_bytes_per_iteration'] / 1e6:,.1f} | {max(r['peak_rss_mb_per_process']):,} | {r['read_seconds']:.1f} | {r['setup_seconds']:.1f} |")
