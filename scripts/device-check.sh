#!/usr/bin/env bash
# The one prepared check for a machine with an NVIDIA GPU (no Node needed): builds the CUDA
# kernels with CMake, runs the correctness test binary against the CPU references (dense and
# pattern attention), benchmarks the dense kernel against PyTorch's scaled_dot_product_attention
# and the pattern kernel against the dense one, and writes everything to ${OUT}.
# When node and the npm dependencies (node_modules/) are present, it also builds the Node addons
# and runs the jest GPU tests (test/cuda); otherwise that step is skipped silently.
# Exit status: 0 when the build, every correctness case, compute-sanitizer memcheck and (when
# run) the Node GPU tests pass,
# non-zero otherwise (benchmark problems and racecheck findings are reported in summary.md but do
# not fail the check).
# Usage: OUT=/some/dir scripts/device-check.sh   [BENCH_REPS=10] [BENCH_MAX_SEQ=16384]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=${OUT:-$ROOT/device-out}
BENCH_REPS=${BENCH_REPS:-10}
BENCH_MAX_SEQ=${BENCH_MAX_SEQ:-16384}
BUILD=$ROOT/build-device
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
SUMMARY=$OUT/summary.md

PYTHON=$(command -v python3 || command -v python || echo python3)

log() { echo "[device-check $(date +%H:%M:%S)] $*"; }

if ! command -v nvcc > /dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi

# ---- machine ----
log "machine"
{
  nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total,clocks.max.sm --format=csv
  nvidia-smi
  nvcc --version
  cmake --version | head -1
  "$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' || true
  echo "tessera commit: $(git rev-parse HEAD 2> /dev/null || echo unknown)"
} > "$OUT/machine.txt" 2>&1 || true
GPU=$(nvidia-smi --query-gpu=name,compute_cap --format=csv,noheader 2> /dev/null | head -1 || true)
CAP=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2> /dev/null | head -1 | tr -d ' .' || true)
ARCHS=${CAP:+${CAP}-real}
ARCHS=${ARCHS:-80-real;90-real;90-virtual}
log "GPU: ${GPU:-unknown}; building for ${ARCHS}"

{
  echo "# tessera CUDA device check"
  echo
  echo "- GPU: ${GPU:-unknown}"
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- commit: $(git rev-parse HEAD 2> /dev/null || echo unknown)"
  echo "- command: scripts/device-check.sh (BENCH_REPS=$BENCH_REPS, BENCH_MAX_SEQ=$BENCH_MAX_SEQ)"
} > "$SUMMARY"

# ---- build ----
log "build (log: $OUT/build.log)"
BUILD_START=$(date +%s)
if ! {
  cmake -S . -B "$BUILD" -DTESSERA_CUDA=ON -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CUDA_COMPILER="$(command -v nvcc)" "-DTESSERA_CUDA_ARCHITECTURES=$ARCHS" &&
    cmake --build "$BUILD" -j "$(nproc)" --target tessera_cuda_tests tessera_cuda_bench
} > "$OUT/build.log" 2>&1; then
  tail -40 "$OUT/build.log"
  echo "- build: FAILED (see build.log)" >> "$SUMMARY"
  log "build failed; results in $OUT"
  exit 2
fi
echo "- build: ok in $(($(date +%s) - BUILD_START)) s (CUDA architectures $ARCHS)" >> "$SUMMARY"

# ---- correctness ----
log "correctness (output: $OUT/tests.txt)"
TEST_RC=0
timeout 240 "$BUILD/tessera_cuda_tests" > "$OUT/tests.txt" 2>&1 || TEST_RC=$?
if grep -q '^SKIP' "$OUT/tests.txt"; then TEST_RC=3; fi # a device check that saw no device
grep -E '^(FAIL|SKIP|OK|FAILED)' "$OUT/tests.txt" | tail -30 || true
{
  echo "- correctness: $([ "$TEST_RC" -eq 0 ] && echo PASS || echo "FAIL (exit $TEST_RC)"):" \
    "$(grep '^SKIP' "$OUT/tests.txt" || true)" \
    "$(grep -c '^PASS' "$OUT/tests.txt" || true) PASS lines," \
    "$(grep -c '^FAIL' "$OUT/tests.txt" || true) FAIL lines (tests.txt)"
} >> "$SUMMARY"

# ---- benchmark ----
log "benchmark: tessera"
BENCH_RC=0
timeout 120 "$BUILD/tessera_cuda_bench" "$BENCH_REPS" "$BENCH_MAX_SEQ" \
  > "$OUT/bench_tessera.csv" 2> "$OUT/bench_tessera.err" || BENCH_RC=$?
log "benchmark: PyTorch SDPA"
SDPA_RC=0
timeout 180 "$PYTHON" scripts/bench/sdpa_baseline.py "$BENCH_REPS" "$BENCH_MAX_SEQ" \
  > "$OUT/bench_sdpa.csv" 2> "$OUT/bench_sdpa.err" || SDPA_RC=$?
{
  echo "- benchmark exit status: tessera $BENCH_RC, sdpa $SDPA_RC"
  echo
  echo "## Flash attention forward, TFLOP/s (4·B·H·N²·D, halved for causal; best of $BENCH_REPS)"
  echo
  "$PYTHON" scripts/bench/join_cuda_bench.py "$OUT/bench_tessera.csv" "$OUT/bench_sdpa.csv" ||
    echo "(could not join the benchmark CSVs)"
} >> "$SUMMARY"

log "benchmark: pattern attention vs dense"
PATTERN_RC=0
timeout 120 "$BUILD/tessera_cuda_bench" "$BENCH_REPS" "$BENCH_MAX_SEQ" patterns \
  > "$OUT/bench_patterns.csv" 2> "$OUT/bench_patterns.err" || PATTERN_RC=$?
{
  echo
  echo "## Pattern attention vs dense (neighborhood 2D 7x7 / 3D 3x7x7, H = 12, D = 64; exit status $PATTERN_RC)"
  echo
  "$PYTHON" scripts/bench/cuda_pattern_table.py "$OUT/bench_patterns.csv" ||
    echo "(could not read bench_patterns.csv)"
} >> "$SUMMARY"

# ---- compute-sanitizer on the small cases (out-of-bounds accesses, shared-memory races) ----
SANITIZER=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2> /dev/null || true)
MEMCHECK_RC=0
if [ "$SECONDS" -gt 360 ]; then
  echo "- compute-sanitizer: skipped (the check had already run ${SECONDS} s)" >> "$SUMMARY"
elif [ -n "$SANITIZER" ]; then
  for tool in memcheck racecheck; do
    log "compute-sanitizer --tool $tool (output: $OUT/sanitizer_$tool.txt)"
    RC=0
    timeout 75 "$SANITIZER" --tool "$tool" --error-exitcode 99 "$BUILD/tessera_cuda_tests" --quick \
      > "$OUT/sanitizer_$tool.txt" 2>&1 || RC=$?
    tail -3 "$OUT/sanitizer_$tool.txt"
    case $RC in
      0) VERDICT="clean" ;;
      99) VERDICT="ERRORS (see sanitizer_$tool.txt)" ;;
      124) VERDICT="timed out after 75 s (not a failure)" ;;
      *) VERDICT="exit $RC (see sanitizer_$tool.txt)" ;;
    esac
    echo "- compute-sanitizer $tool on \`tessera_cuda_tests --quick\`: $VERDICT" >> "$SUMMARY"
    if [ "$tool" = memcheck ] && [ "$RC" -ne 0 ] && [ "$RC" -ne 124 ]; then MEMCHECK_RC=$RC; fi
  done
else
  echo "- compute-sanitizer: not found, skipped" >> "$SUMMARY"
fi

# ---- optional: the Node GPU tests (test/cuda), when node and the npm dependencies are here ----
NODE_RC=0
if command -v node > /dev/null && [ -x node_modules/.bin/jest ] && [ -x node_modules/.bin/cmake-js ]; then
  log "node: build the addons and run the jest GPU tests (output: $OUT/node_tests.txt)"
  {
    node_modules/.bin/cmake-js compile -O "$ROOT/build-device-node" \
      "--CDTESSERA_CUDA_ARCHITECTURES=$ARCHS" &&
      TESSERA_NATIVE_PATH="$ROOT/build-device-node/Release/tessera.node" timeout 300 \
        node_modules/.bin/jest test/cuda
  } > "$OUT/node_tests.txt" 2>&1 || NODE_RC=$?
  tail -8 "$OUT/node_tests.txt"
  echo "- node GPU tests (jest test/cuda): $([ "$NODE_RC" -eq 0 ] && echo PASS || echo "FAIL (exit $NODE_RC, node_tests.txt)")" >> "$SUMMARY"
fi

echo "- total time: ${SECONDS} s" >> "$SUMMARY"
cat "$SUMMARY"
log "results written to $OUT (summary.md, tests.txt, bench_*.csv, build.log, machine.txt)"
if [ "$TEST_RC" -ne 0 ]; then exit "$TEST_RC"; fi
if [ "$MEMCHECK_RC" -ne 0 ]; then exit "$MEMCHECK_RC"; fi
exit "$NODE_RC"
