#!/usr/bin/env bash
# Builds natsbench (scripts/setup.sh) and runs every test:
#   1. the libFuzzer target on the pickle + bz2 readers (scripts/fuzz.sh, 60 s; needs clang)
#   2. the CUDA build check (scripts/build-cuda.sh: compile + link against a CUDA LibTorch and
#      smoke-test on the CPU; runs where nvcc exists, skipped with NATSBENCH_SKIP_CUDA_BUILD=1)
#   3. CTest in build/ (Catch2 suites, CLI scripts, Python reference clients)
# Environment:
#   NATSBENCH_REFERENCE_DIR  official sample files + split files (tests that need them skip,
#                            saying so, when it is unset); .ci/run points it at ../shared/reference
#   NATSBENCH_FUZZ_SECONDS   fuzzing time (default 60; 0 skips)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
build_dir="${NATSBENCH_BUILD_DIR:-$root/build}"
if [ -z "${NATSBENCH_REFERENCE_DIR:-}" ]; then
  echo "test: NATSBENCH_REFERENCE_DIR is unset: tests on official sample files will skip"
fi

fuzz_seconds="${NATSBENCH_FUZZ_SECONDS:-60}"
if [ "$fuzz_seconds" -gt 0 ] && command -v clang++ >/dev/null 2>&1; then
  echo "test: fuzzing the pickle + bz2 readers for ${fuzz_seconds} s"
  fuzz_log="$(mktemp)"
  "$root/scripts/fuzz.sh" "$fuzz_seconds" >"$fuzz_log" 2>&1 ||
    { tail -n 30 "$fuzz_log"; echo "test: the fuzzer found a problem (log: $fuzz_log)"; exit 1; }
  grep -E "^(#[0-9]+ +DONE|Done [0-9]+ runs)" "$fuzz_log" | tail -n 1 || true
  rm -f "$fuzz_log"
fi

if [ "${NATSBENCH_SKIP_CUDA_BUILD:-0}" != 1 ] &&
   { command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; }; then
  echo "test: CUDA build check (scripts/build-cuda.sh)"
  "$root/scripts/build-cuda.sh"
fi

cd "$build_dir"
ctest --output-on-failure -j "${NATSBENCH_JOBS:-$(nproc)}"
