#!/usr/bin/env python3
"""Formats `tessera_cuda_bench ... patterns` CSV as a markdown table (pattern attention vs dense).

rate / dense is the pattern's TFLOP/s on allowed pairs over the dense kernel's TFLOP/s (the
speedup over dense divided by the FLOP bound); walk / allowed is how many pairs the GPU walk of
the plan's tiles covers per allowed pair (the ceiling of rate / dense is about its inverse).

Usage: cuda_pattern_table.py bench_patterns.csv > table.md
"""
import csv
import sys


def main():
    with open(sys.argv[1], newline="") as f:
        lines = [line for line in f if line and not line.startswith(("#", "SKIP"))]
    print("| pattern | dtype | B | H | N | D | ms | dense ms | TFLOP/s (allowed) | dense TFLOP/s "
          "| rate / dense | walk / allowed |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in csv.DictReader(lines):
        walk = int(row["tile_pairs"]) / max(1, int(row["allowed_pairs"]))
        print(f"| {row['pattern']} | {row['dtype']} | {row['batch']} | {row['heads']} | "
              f"{row['seq']} | {row['head_dim']} | {float(row['ms']):.3f} | "
              f"{float(row['dense_ms']):.3f} | {float(row['tflops_allowed']):.1f} | "
              f"{float(row['dense_tflops']):.1f} | {float(row['rate_ratio']):.2f}x | {walk:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
