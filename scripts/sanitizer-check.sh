#!/usr/bin/env bash
# The jest suite against a build of the CPU addon with AddressSanitizer and UndefinedBehavior-
# Sanitizer (not part of npm test: ~1 min to build, ~5 min to run on 2 cores). Node itself is not
# instrumented, so the sanitizer runtimes are preloaded; the addon is picked by
# TESSERA_NATIVE_PATH. Any report stops the process that hit it, which fails its test file.
#   bash scripts/sanitizer-check.sh [jest arguments...]
# Needs `npm ci` and `npm run build` first (dist/ is the TypeScript the tests load).
set -euo pipefail
cd "$(dirname "$0")/.."

flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
npx cmake-js compile --out build-sanitize --debug --CDTESSERA_CUDA=OFF \
  --CDCMAKE_CXX_FLAGS="$flags" --CDCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined"

LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)" \
  ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  TESSERA_NATIVE_PATH="$PWD/build-sanitize/Debug/tessera.node" \
  npx jest --testPathIgnorePatterns test/package \
  -t '^(?!.*resident set shrinks)' "$@"
# Skipped: the install test (it builds its own addon) and the one test that expects freed memory
# back in the OS at once (AddressSanitizer's quarantine keeps it).
