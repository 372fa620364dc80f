#!/usr/bin/env bash
# Builds natsbench (scripts/setup.sh) and runs every test.
#   NATSBENCH_REFERENCE_DIR  official sample files + split files (tests that need them skip,
#                            saying so, when it is unset); .ci/run points it at ../shared/reference
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
build_dir="${NATSBENCH_BUILD_DIR:-$root/build}"
if [ -z "${NATSBENCH_REFERENCE_DIR:-}" ]; then
  echo "test: NATSBENCH_REFERENCE_DIR is unset: tests on official sample files will skip"
fi
cd "$build_dir"
ctest --output-on-failure -j "${NATSBENCH_JOBS:-$(nproc)}"
