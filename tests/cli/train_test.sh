#!/usr/bin/env bash
# natsbench train as a user (and Slurm) runs it: records on fake data, resuming after SIGKILL and
# SIGTERM with bit-identical metrics, skipping finished runs, and one clear line for bad input.
set -u
natsbench="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
py=/usr/bin/python3

# The metrics of two records agree exactly (times and timestamps aside).
same_metrics() {  # same_metrics <record a> <record b>
  $py - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
keys = ["learning_rates", "train_losses", "train_acc1es", "train_acc5es", "valid_losses",
        "valid_acc1es", "valid_acc5es", "flop", "param", "status", "train_batches", "eval_images"]
bad = [k for k in keys if a[k] != b[k]]
if bad:
    sys.exit("differ: " + ", ".join(bad))
PY
}

"$natsbench" make-fake-data --root "$tmp/data" --dataset cifar10 --train 1200 --test 240 --seed 5 \
  >/dev/null || fail "make-fake-data"
cat >"$tmp/6E.yaml" <<'YAML'
epochs: 6
batch_size: 128
optimizer: {name: SGD, lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.0005}
scheduler: {name: cos, eta_min: 0.0, warmup: 0}
criterion: Softmax
YAML
train=("$natsbench" train --space sss --arch 8:8:8:8:8 --datasets cifar10-valid --seeds 777
       --hp "$tmp/6E.yaml" --data-root "$tmp/data" --threads 1)
rec=sss/hp-6E/arch-000000/seed-0777-cifar10-valid

# 1. An uninterrupted run: JSON summary, a complete record, no checkpoint left.
"${train[@]}" --out "$tmp/a" --json >"$tmp/a.json" 2>"$tmp/a.err" || fail "train (uninterrupted)"
[ "$($py -c 'import json,sys; r=json.load(open(sys.argv[1]))["runs"][0]; print(r["outcome"], r["epochs_done"])' "$tmp/a.json")" = "complete 6" ] ||
  fail "summary: $(cat "$tmp/a.json")"
[ -f "$tmp/a/$rec.json" ] || fail "no record at $rec.json"
[ ! -e "$tmp/a/$rec.ckpt" ] || fail "checkpoint left after a finished run"
grep -q "epoch 6/6" "$tmp/a.err" || fail "no per-epoch log line on stderr"
# Running it again does nothing and says so.
"${train[@]}" --out "$tmp/a" --json >"$tmp/a2.json" 2>/dev/null || fail "train (again)"
grep -q '"outcome":"already done"' "$tmp/a2.json" || fail "second run: $(cat "$tmp/a2.json")"

# 2. SIGKILL after the first checkpoint, then the same command: bit-identical metrics.
wait_for_checkpoint() {  # wait_for_checkpoint <out dir> <pid>
  for _ in $(seq 1 600); do
    [ -f "$1/$rec.ckpt" ] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.02
  done
  return 1
}
"${train[@]}" --out "$tmp/k" >/dev/null 2>&1 &
pid=$!
if wait_for_checkpoint "$tmp/k" "$pid"; then
  kill -KILL "$pid"; wait "$pid" 2>/dev/null
  [ ! -f "$tmp/k/$rec.json" ] || fail "SIGKILL came too late (record already written)"
  "${train[@]}" --out "$tmp/k" >/dev/null 2>"$tmp/k.err" || fail "resume after SIGKILL"
  msg=$(same_metrics "$tmp/a/$rec.json" "$tmp/k/$rec.json" 2>&1) || fail "after SIGKILL: $msg"
  [ "$($py -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["resumes"]))' "$tmp/k/$rec.json")" = 1 ] ||
    fail "the resumed record does not list its resume"
else
  fail "no checkpoint appeared before the run ended"; wait "$pid"
fi

# 3. SIGTERM (Slurm's warning): checkpoint, exit 75, resume to the same metrics.
"${train[@]}" --out "$tmp/t" >/dev/null 2>"$tmp/t.err" &
pid=$!
if wait_for_checkpoint "$tmp/t" "$pid"; then
  kill -TERM "$pid"; wait "$pid"; status=$?
  [ "$status" -eq 75 ] || fail "SIGTERM: exit $status, expected 75"
  grep -q "run the same command again to resume" "$tmp/t.err" || fail "SIGTERM: no resume hint"
  [ -f "$tmp/t/$rec.ckpt" ] || fail "SIGTERM: no checkpoint"
  "${train[@]}" --out "$tmp/t" >/dev/null 2>&1 || fail "resume after SIGTERM"
  msg=$(same_metrics "$tmp/a/$rec.json" "$tmp/t/$rec.json" 2>&1) || fail "after SIGTERM: $msg"
else
  fail "no checkpoint appeared before the run ended (SIGTERM)"; wait "$pid"
fi

# 4. A corrupt checkpoint: reported, the run restarts from scratch, same metrics.
mkdir -p "$(dirname "$tmp/c/$rec")"
printf 'NATSBENCH-CHECKPOINT 1 0123 10\nbroken' >"$tmp/c/$rec.ckpt"
"${train[@]}" --out "$tmp/c" >/dev/null 2>"$tmp/c.err" || fail "train over a corrupt checkpoint"
grep -q "starting the run from scratch" "$tmp/c.err" || fail "corrupt checkpoint not reported"
msg=$(same_metrics "$tmp/a/$rec.json" "$tmp/c/$rec.json" 2>&1) || fail "after a corrupt checkpoint: $msg"

# 5. --max-batches is a smoke run and says so in the record; --save-weights writes the weights.
"$natsbench" train --space tss --arch 11 --datasets cifar10 --hp 01 --data-root "$tmp/data" \
  --out "$tmp/m" --max-batches 1 --save-weights >/dev/null 2>&1 || fail "tss 11 --max-batches 1"
m="$tmp/m/tss/hp-01/arch-000011/seed-0777-cifar10"
[ "$($py -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["max_batches"], j["train_batches"], j["arch_config"]["name"])' "$m.json")" = "1 1 infer.tiny" ] ||
  fail "tss --max-batches record"
[ -s "$m.pt" ] || fail "--save-weights wrote no $m.pt"

# 5b. --concurrent 3: four runs (2 datasets x 2 seeds), three at a time, the records of one at a
#     time bit for bit, the summary in plan order.
several=("$natsbench" train --space sss --arch 8:8:8:8:8 --datasets cifar10-valid,cifar10
         --seeds 777,888 --hp 01 --data-root "$tmp/data" --threads 1 --max-batches 2 --json)
"${several[@]}" --out "$tmp/serial" >"$tmp/serial.json" 2>/dev/null || fail "train, 4 runs"
"${several[@]}" --out "$tmp/conc" --concurrent 3 >"$tmp/conc.json" 2>"$tmp/conc.err" ||
  fail "train --concurrent 3: $(tail -n 2 "$tmp/conc.err")"
$py "$(dirname "${BASH_SOURCE[0]}")/../../scripts/bench/compare_runs.py" "$tmp/serial" "$tmp/conc" \
  >"$tmp/cmp.json" || fail "train --concurrent 3 records differ: $(cat "$tmp/cmp.json")"
[ "$($py -c 'import json,sys; print(" ".join("%s:%s:%s" % (r["dataset"], r["seed"], r["outcome"]) for r in json.load(open(sys.argv[1]))["runs"]))' "$tmp/conc.json")" = \
  "cifar10-valid:777:complete cifar10-valid:888:complete cifar10:777:complete cifar10:888:complete" ] ||
  fail "train --concurrent 3 summary: $(cat "$tmp/conc.json")"
grep -q 'the runs share the CPU threads' "$tmp/conc.err" || fail "no CPU concurrency warning"

# 6. Bad input: one line, non-zero exit, nothing written.
base=(train --space sss --arch 8:8:8:8:8 --data-root "$tmp/data" --out "$tmp/bad")
expect_error 2 "dataset 'cifar11': expected one of" -- "${base[@]}" --datasets cifar11
expect_error 2 "appears twice" -- "${base[@]}" --datasets cifar10,cifar10
expect_error 2 "space" -- train --space xss --arch 1 --data-root "$tmp/data" --out "$tmp/bad"
expect_error 2 "no such file" -- "${base[@]}" --hp "$tmp/none.yaml"
printf 'epochs: 3\nbatch_size: 256\n' >"$tmp/short.yaml"
expect_error 2 "short.yaml: criterion: missing" -- "${base[@]}" --hp "$tmp/short.yaml"
expect_error 2 "not a non-negative integer" -- "${base[@]}" --seeds 1,x
expect_error 2 "--seeds: 7 appears twice" -- "${base[@]}" --seeds 7,07
expect_error 2 "--concurrent 0: expected 1 to 32" -- "${base[@]}" --concurrent 0
expect_error 2 "--concurrent 33: expected 1 to 32" -- sweep --space sss --range 0 --hp 01 \
  --data-root "$tmp/data" --out "$tmp/bad" --concurrent 33
expect_error 2 "--data-root $tmp/nowhere: no such directory" -- \
  train --space sss --arch 0 --data-root "$tmp/nowhere" --out "$tmp/bad"
expect_error 1 "found neither '$tmp/data/cifar-100-python'" -- "${base[@]}" --datasets cifar100
touch "$tmp/file"
expect_error 2 "--out $tmp/file/sub: cannot create" -- \
  train --space sss --arch 0 --data-root "$tmp/data" --out "$tmp/file/sub"
[ ! -e "$tmp/bad/sss" ] || fail "bad input left output behind"

# 7. bench train: one JSON line with speeds, versions and the sweep projection; the graph-safe step
#    and concurrent runs on the CPU; inconsistent flags are one clear line.
bench=(bench train --space sss --arch 8:8:8:8:8 --dataset ImageNet16-120 --device cpu --steps 2
       --warmup 1 --threads 1)
"$natsbench" "${bench[@]}" >"$tmp/bt.json" 2>"$tmp/bt.err" || fail "bench train (plain): $(cat "$tmp/bt.err")"
"$natsbench" "${bench[@]}" --step graph-safe --concurrent 2 >"$tmp/bt2.json" 2>"$tmp/bt2.err" ||
  fail "bench train (graph-safe, concurrent 2): $(cat "$tmp/bt2.err")"
msg=$($py - "$tmp/bt.json" "$tmp/bt2.json" 2>&1 <<'PY'
import json, sys
a, b = (json.loads(open(p).read()) for p in sys.argv[1:3])
for k in ["train_images_per_second", "ms_per_step", "eval_images_per_second", "device_name",
          "libtorch", "graph", "concurrent", "step", "projected", "profile_fraction"]:
    assert k in a, "missing " + k
assert (a["step"], a["graph"], a["concurrent"]) == ("plain", False, 1), a
assert (b["step"], b["concurrent"]) == ("graph-safe", 2), b
assert "aggregate_images_per_second" in b and "note" in b and "profile_fraction" not in b, b
p = a["projected"]
assert set(p["gpu_hours"]) == {"01", "12", "90", "total"}, p["gpu_hours"]
assert [j["runs"] for j in p["jobs"]] == [131072, 393216, 131072], p["jobs"]
assert "ImageNet16-120" in p["seconds_per_epoch"] and p["assumption"], p
PY
) || fail "bench train output: $msg"
expect_error 2 "need --device cuda" -- bench train --space tss --arch 11 --device cpu --graph
expect_error 2 "--step 'fast': expected plain or graph-safe" -- bench train --space tss --arch 11 --step fast
expect_error 2 "--concurrent 0" -- bench train --space tss --arch 11 --concurrent 0
expect_error 2 "--steps 0: expected >= 1" -- bench train --space tss --arch 11 --steps 0
expect_error 2 "excludes" -- bench train --space tss --arch 11 --graph --no-graph

finish "train CLI"
