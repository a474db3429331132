#!/usr/bin/env python3
"""Joins tessera_cuda_bench and sdpa_baseline.py CSVs into a markdown table (TFLOP/s and ratio).

Usage: join_cuda_bench.py tessera.csv sdpa.csv > table.md
"""
import csv
import sys

KEY = ("dtype", "head_dim", "causal", "batch", "heads", "seq")


def read_rows(path):
    with open(path, newline="") as f:
        lines = [line for line in f if line and not line.startswith(("#", "SKIP"))]
    return {tuple(row[k] for k in KEY): row for row in csv.DictReader(lines)}


def main():
    tessera, sdpa = read_rows(sys.argv[1]), read_rows(sys.argv[2])
    print("| dtype | d | causal | B | H | N | tessera TFLOP/s | SDPA TFLOP/s (backend) | tessera/SDPA |")
    print("|---|---|---|---|---|---|---|---|---|")
    for key, row in tessera.items():
        base = sdpa.get(key)
        ours = float(row["tflops"])
        if base:
            theirs = float(base["tflops"])
            base_text = f"{theirs:.1f} ({base['backend']})"
            ratio = f"{ours / theirs:.2f}x" if theirs > 0 else "-"
        else:
            base_text, ratio = "-", "-"
        dtype, d, causal, b, h, n = key
        print(f"| {dtype} | {d} | {'yes' if causal == '1' else 'no'} | {b} | {h} | {n} | "
              f"{ours:.1f} | {base_text} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
