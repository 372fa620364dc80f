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

echo
echo "== the whole pipeline on fake data: sweep -> collect -> query =="
# Fake CIFAR-10, CIFAR-100 and ImageNet16-120 (official layouts, learnable class patterns).
"$natsbench" make-fake-data --root "$data" --dataset cifar100 --train 2500 --test 500 --seed 2 >/dev/null
"$natsbench" make-fake-data --root "$data" --dataset imagenet16 --train 3000 --test 1200 --seed 3 >/dev/null
# A handful of candidates of each space for hp 01 (one epoch), all four datasets, a few batches
# per epoch so that it fits in minutes on two CPU cores; the records land in $runs.
runs="$data/runs"
"$natsbench" sweep --space tss --range 284,8867 --hp 01 --data-root "$data" --out "$runs" \
  --max-batches 4 >/dev/null
"$natsbench" sweep --space sss --range 0,4681 --hp 01 --data-root "$data" --out "$runs" \
  --max-batches 4 >/dev/null
"$natsbench" sweep --status --out "$runs"
# The records become benchmark files in the official format, then are queried like the real ones.
bench="$data/benchmark"
for space in tss sss; do
  "$natsbench" collect --space "$space" --runs "$runs" --out "$bench/$space" >/dev/null
done
field() { sed -E "s/.*\"$1\":([^,}]+).*/\1/" <<<"$2"; }
printf '\n%-5s %6s %9s %9s %14s %14s  %s\n' space index MFLOPs Mparams "valid acc (%)" "test acc (%)" \
  "(cifar10-valid x-valid / cifar10 ori-test, hp 01, seed 777)"
for candidate in "tss 284" "tss 8867" "sss 0" "sss 4681"; do
  read -r space index <<<"$candidate"
  file=$(ls "$bench/$space"/NATS-*.pickle.pbz2)
  valid=$("$natsbench" query --space "$space" --benchmark "$file" more --index "$index" \
    --dataset cifar10-valid --hp 01 --seed 777)
  test=$("$natsbench" query --space "$space" --benchmark "$file" more --index "$index" \
    --dataset cifar10 --hp 01 --seed 777)
  cost=$("$natsbench" query --space "$space" --benchmark "$file" cost --index "$index" \
    --dataset cifar10 --hp 01)
  printf '%-5s %6s %9.3f %9.4f %14.2f %14.2f\n' "$space" "$index" "$(field flops "$cost")" \
    "$(field params "$cost")" "$(field valid-accuracy "$valid")" "$(field test-accuracy "$test")"
done
echo
echo "benchmark files (load them with the official API: nats_bench.create(path, space)):"
(cd "$bench" && ls -d */NATS-*)
