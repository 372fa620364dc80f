#!/usr/bin/env bash
# One weight-sharing search step (weight step + arch step, batches of 64), natsbench beside the
# reference (xautodl on Debian's python3-torch, the same ATen), on this machine's CPU, with the
# same number of threads; one algorithm after the other, each side in its own process.
# Usage: scripts/bench/search_step.sh [DATASET] [STEPS] [ALGOS...]   (default: cifar10 3, all)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dataset="${1:-cifar10}"
steps="${2:-3}"
shift $(( $# > 2 ? 2 : $# )) || true
algos=("$@")
[ ${#algos[@]} -eq 0 ] && algos=(darts-v1 darts-v2 gdas setn rsps enas)
natsbench="$root/build/natsbench"
python=/usr/bin/python3
threads="${OMP_NUM_THREADS:-$(nproc)}"
printf '%-9s %-15s %14s %14s %7s %16s\n' algo dataset "natsbench img/s" "reference img/s" ratio "paper run (h)"
for algo in "${algos[@]}"; do
  ours=$("$natsbench" bench search --algo "$algo" --dataset "$dataset" --steps "$steps" --warmup 1 \
    --threads "$threads")
  theirs=$(OMP_NUM_THREADS="$threads" "$python" "$root/scripts/bench/search_step_reference.py" \
    "$algo" "$dataset" "$steps" 1 "$root/.deps/python")
  "$python" - "$ours" "$theirs" <<'PY'
import json, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{ours['algorithm']:<9} {ours['dataset']:<15} {ours['images_per_second']:14.1f} "
      f"{theirs['images_per_second']:14.1f} {ours['images_per_second'] / theirs['images_per_second']:6.2f}x "
      f"{ours['projected_hours_100_epochs']:16.1f}")
PY
done
