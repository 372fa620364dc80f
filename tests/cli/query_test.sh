#!/usr/bin/env bash
# natsbench query / convert on the official sample archives: answers, JSON keys, bad input.
# Skips (exit 77) without NATSBENCH_REFERENCE_DIR.
set -u
natsbench="$1"
if [ -z "${NATSBENCH_REFERENCE_DIR:-}" ]; then echo "SKIP: NATSBENCH_REFERENCE_DIR is unset"; exit 77; fi
tss="$NATSBENCH_REFERENCE_DIR/official-samples/NATS-tss-v1_0-3ffb9-simple"
sss="$NATSBENCH_REFERENCE_DIR/official-samples/NATS-sss-v1_0-50262-simple"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

expect() {  # expect <substring> <args...>
  local want="$1"; shift
  local got; got=$("$natsbench" "$@" 2>&1) || { fail "natsbench $* exited $?: $got"; return; }
  case "$got" in *"$want"*) ;; *) fail "natsbench $* -> $got; expected $want";; esac
}
expect_error() {  # expect_error <status> <substring> <args...>
  local status="$1" want="$2"; shift 2
  local out err got
  out=$(mktemp); err=$(mktemp)
  "$natsbench" "$@" >"$out" 2>"$err"; got=$?
  if [ "$got" -ne "$status" ] || [ "$(wc -l <"$err")" -ne 1 ] || ! grep -qF -- "$want" "$err" || [ -s "$out" ]; then
    fail "natsbench $* -> status $got, stderr: $(cat "$err"); expected $status and '$want'"
  fi
  rm -f "$out" "$err"
}

# Answers of docs/archive-format.md §5 (official API, CPython 3.11).
expect '"train-loss":1.0033991238021849,"train-accuracy":63.44599998901367,"train-per-time":12.462056795756022' \
  query --space tss --benchmark "$tss" more --index 11 --dataset cifar10-valid
expect '"valid-accuracy":63.975999975585935' \
  query --space tss --benchmark "$tss" more --index 11 --dataset cifar10-valid --seed 777
expect '{"flops":15.64737,"params":0.129306,"latency":0.0139359758611311,"T-train@epoch":7.221092998981476' \
  query --space tss --benchmark "$tss" cost --index 0 --dataset cifar10-valid
expect '{"accuracy":74.04400000488282,"latency":0.012457707472014846,"time_cost":60.89902593692145,"used_time":60.89902593692145}' \
  query --space tss --benchmark "$tss" simulate --index 284 --dataset cifar10 --rng-seed 0
expect '{"index":11,"accuracy":25.4666666208903' \
  query --space sss --benchmark "$sss" find-best --dataset ImageNet16-120 --metric test --flop-max 3 --hp 90
expect '{"3":3}' query --space sss --benchmark "$sss" statistics --dataset cifar100 --hp 12
expect '{"name":"infer.tiny","C":16,"N":5,"arch_str":"|skip_connect~0|+|skip_connect~0|skip_connect~1|+|none~0|nor_conv_1x1~1|none~2|","num_classes":100}' \
  query --space tss --benchmark "$tss" config --index 284 --dataset cifar100
expect '"train-loss":' query --space sss --benchmark "$sss" more --arch 8:8:40:32:40 --dataset ImageNet16-120 --hp 90 --iepoch 44

# The $TORCH_HOME lookup of the official API.
home=$(mktemp -d)
ln -s "$tss" "$home/NATS-tss-v1_0-3ffb9-simple"
TORCH_HOME="$home" expect '"flops":113.95137' query --space tss --fast-mode cost --index 11 --dataset cifar10
# convert to a single file, and query it without fast mode.
"$natsbench" convert --space tss --from "$tss" --to "$home/one.pickle.pbz2" >/dev/null || fail "convert"
expect '"train-loss":1.0033991238021849' query --space tss --benchmark "$home/one.pickle.pbz2" more --index 11 --dataset cifar10-valid

# Bad input: one line, exit 2 for bad arguments, 1 for unreadable files.
expect_error 2 "neither a file nor a directory" query --space tss --benchmark /nonexistent more --index 0 --dataset cifar10
expect_error 2 "has hyper-parameters [12, 200], not '90'" query --space tss --benchmark "$tss" more --index 11 --dataset cifar10 --hp 90
expect_error 2 "dataset 'cifar1000'" query --space tss --benchmark "$tss" more --index 11 --dataset cifar1000
expect_error 2 "architecture 12 has no results" query --space tss --benchmark "$tss" more --index 12 --dataset cifar10
expect_error 2 "invalid index 15625" query --space tss --benchmark "$tss" more --index 15625 --dataset cifar10
expect_error 2 "is not in the tss benchmark" query --space tss --benchmark "$tss" more --arch '|none~0|' --dataset cifar10
expect_error 2 "iepoch 12 is out of range: record cifar10 seed 0111 has epochs 0..11" query --space tss --benchmark "$tss" more --index 11 --dataset cifar10 --iepoch 12
expect_error 2 "seed 888 is not among the seeds [111]" query --space tss --benchmark "$tss" more --index 11 --dataset cifar10 --seed 888
expect_error 2 "expected cifar10, cifar100 or ImageNet16-120" query --space tss --benchmark "$tss" simulate --index 11 --dataset cifar10-valid
expect_error 2 "fast mode needs an archive directory" query --space tss --benchmark "$home/one.pickle.pbz2" --fast-mode more --index 11 --dataset cifar10
expect_error 2 "--dataset is required" query --space tss --benchmark "$tss" more --index 11

# Corrupt and truncated files: exit 1, the file named.
bad="$home/bad-simple"; mkdir -p "$bad"
cp "$tss/meta.pickle.pbz2" "$bad/"
head -c 20000 "$tss/000011.pickle.pbz2" >"$bad/000011.pickle.pbz2"
expect_error 1 "000011.pickle.pbz2" query --space tss --benchmark "$bad" more --index 11 --dataset cifar10
printf 'not bz2 at all' >"$bad/000284.pickle.pbz2"
expect_error 1 "000284.pickle.pbz2" query --space tss --benchmark "$bad" more --index 284 --dataset cifar10
head -c 1000 "$tss/meta.pickle.pbz2" >"$bad/meta.pickle.pbz2"
expect_error 1 "meta.pickle.pbz2" query --space tss --benchmark "$bad" more --index 11 --dataset cifar10
rm -rf "$home"

if [ "$failures" -ne 0 ]; then echo "$failures query check(s) failed"; exit 1; fi
echo "all query checks passed"
