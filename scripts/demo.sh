#!/usr/bin/env bash
# The main job on an embedded default: for a few candidates of both search spaces, the arch
# string and the costs counted on the built network for every benchmark input shape; then fake
# data generated on the spot, read back as a benchmark dataset, and three candidates trained on
# it with the benchmark protocol (hp 01: one epoch), each leaving a JSON run record.
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
echo "fake CIFAR-10 in the official layout, read back as the benchmark's cifar10-valid:"
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
"$natsbench" make-fake-data --root "$data" --dataset cifar10 --train 5000 --test 1000 --seed 1 >/dev/null
"$natsbench" dataset --name cifar10-valid --root "$data" --splits "$data/splits"
echo "latency of tss 11 on this CPU (batch 256, eval, median of 5):"
"$natsbench" cost --space tss --index 11 --dataset cifar10 --latency

echo "training three candidates for hp 01 on the fake cifar10-valid and cifar10 (CPU):"
out="$data/runs"
for candidate in "tss 8867" "sss 0" "sss 4681"; do
  read -r space arch <<<"$candidate"
  "$natsbench" train --space "$space" --arch "$arch" --datasets cifar10-valid,cifar10 --hp 01 \
    --seeds 777 --data-root "$data" --out "$out"
done
echo "run records (one JSON file per space, arch, hp, seed and dataset):"
(cd "$out" && find . -name '*.json' | sort)
