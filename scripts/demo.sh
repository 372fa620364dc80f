#!/usr/bin/env bash
# The main job on an embedded default: for a few candidates of both search spaces, the arch
# string and the costs counted on the built network for every benchmark input shape.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
natsbench="${NATSBENCH_BUILD_DIR:-$root/build}/natsbench"

for space in tss sss; do
  for index in 0 11 284; do
    "$natsbench" arch --space "$space" --index "$index"
    for dataset in cifar10 cifar100 ImageNet16-120; do
      "$natsbench" cost --space "$space" --index "$index" --dataset "$dataset"
    done
  done
done
echo "latency of tss 11 on this CPU (batch 256, eval, median of 5):"
"$natsbench" cost --space tss --index 11 --dataset cifar10 --latency
