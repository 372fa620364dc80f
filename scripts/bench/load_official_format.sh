#!/usr/bin/env bash
# Load time and peak memory, side by side in one run: the official nats_bench API and natsbench
# on a tss benchmark file written the way the official files were (Python's pickler, one bz2
# stream, every container memoised; tests/bench/write_official_benchmark.py).
# Usage: scripts/bench/load_official_format.sh [ARCHS=1000] [WORKDIR=/tmp/natsbench-load]
#        (needs the reference samples in NATSBENCH_REFERENCE_DIR and scripts/setup.sh's .deps)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
archs="${1:-1000}" work="${2:-/tmp/natsbench-load}"
samples="${NATSBENCH_REFERENCE_DIR:?set NATSBENCH_REFERENCE_DIR}/official-samples/NATS-tss-v1_0-3ffb9-simple"
file="$work/tss$archs-official.pickle.pbz2"
mkdir -p "$work"
[ -f "$file" ] || /usr/bin/python3 "$root/tests/bench/write_official_benchmark.py" \
  "$root/.deps/python" "$samples" "$archs" "$file"
echo "official nats_bench 1.8:"
/usr/bin/python3 "$root/scripts/bench/official_load.py" tss "$file" "$root/.deps/python"
echo "natsbench bench load:"
"$root/build/natsbench" bench load --space tss --benchmark "$file"; echo
echo "NATSBENCH_BZ2_THREADS=1 natsbench bench load:"
NATSBENCH_BZ2_THREADS=1 "$root/build/natsbench" bench load --space tss --benchmark "$file"; echo
