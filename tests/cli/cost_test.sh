#!/usr/bin/env bash
# natsbench cost prints the official stored costs (docs/networks.md §6) as full-precision JSON.
set -eu
natsbench="$1"
expect() {  # expect <jq-free substring> <args...>
  local want="$1"; shift
  local got; got=$("$natsbench" "$@")
  case "$got" in *"$want"*) ;; *) echo "FAIL: natsbench $* -> $got, expected $want"; exit 1;; esac
}
expect '"flops":113.95137,"index":11,"params":0.802426' cost --space tss --index 11 --dataset cifar10
expect '"flops":113.95137,"index":11,"params":0.802426' cost --space tss --index 11 --dataset cifar10-valid
expect '"flops":28.49548,"index":11,"params":0.809576' cost --space tss --index 11 --dataset ImageNet16-120
expect '"flops":11.72106,"index":284,"params":0.107156' cost --space tss --index 284 --dataset cifar100
expect '"flops":4.481114,"index":0,"params":0.011714' cost --space sss --index 0 --dataset cifar10
expect '"flops":21.831684,"index":284,"params":0.148524' cost --space sss --arch 8:8:40:32:40 --dataset cifar100
expect '"flops":1.71404,"index":11,"params":0.052832' cost --space sss --index 11 --dataset ImageNet16-120

# --latency adds a positive number of seconds measured on the CPU.
out=$("$natsbench" cost --space sss --index 0 --dataset ImageNet16-120 --latency)
python3 - "$out" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
assert r["device"] == "cpu" and r["latency"] > 0 and r["latency"] < 60, r
PY
echo "cost output matches the official values"
