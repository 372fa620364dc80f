#!/usr/bin/env bash
# natsbench search with the weight-sharing algorithms, end to end on fake ImageNet16-120 data
# (16x16 images keep it quick): every algorithm runs 3 epochs of 2 steps and writes its result;
# a run killed with SIGKILL (ENAS: during the first controller training, which starts with a
# checkpoint), or stopped by SIGTERM (exit 75), and restarted with the same command gives the
# same result as an uninterrupted one; a damaged checkpoint is reported and the run
# starts over; bad arguments exit 2 with one line.
# Usage: search_supernet_test.sh NATSBENCH PYTHON
set -u
natsbench="$1"
python="${2:-python3}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/lib.sh"

"$natsbench" make-fake-data --root "$tmp/data" --dataset imagenet16 --train 400 --test 240 \
  --seed 3 >/dev/null || fail "make-fake-data"
search() {  # search ALGO OUT [extra args]; in a subshell (`search ... &`), natsbench replaces it
  local algo="$1" out="$2"; shift 2
  local args=(search --space tss --algo "$algo" --dataset ImageNet16-120 --data-root "$tmp/data"
    --out "$out" --seeds 5 --epochs 3 --max-batches 2 --candidates 4 "$@")
  if [ "$BASHPID" != "$$" ]; then exec "$natsbench" "${args[@]}"; fi
  "$natsbench" "${args[@]}"
}

# The result without the wall-clock times: what must not change when a run is interrupted.
strip_times() {
  "$python" - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r.pop("search_seconds")
for e in r["history"]:
    e.pop("search_seconds")
print(json.dumps(r, sort_keys=True))
PY
}

# 1. Every algorithm: a finished result with genotypes[-1..2]; how alpha moved.
for algo in darts-v1 darts-v2 gdas setn rsps enas; do
  if ! search "$algo" "$tmp/$algo" --json >"$tmp/$algo.summary" 2>"$tmp/$algo.log"; then
    fail "$algo: search failed"; sed 's/^/    /' "$tmp/$algo.log" | tail -5; continue
  fi
  "$python" - "$tmp/$algo/$algo-ImageNet16-120-seed5.json" "$tmp/$algo.summary" "$algo" <<'PY' ||
import json, sys
r, summary, algo = json.load(open(sys.argv[1])), json.loads(open(sys.argv[2]).read()), sys.argv[3]
problems = []
if not r["finished"] or r["epochs"] != 3 or r["steps_per_epoch"] != 2:
    problems.append("not a finished 3-epoch, 2-step run")
if sorted(r["genotypes"]) != ["-1", "0", "1", "2"]:
    problems.append(f"genotypes {sorted(r['genotypes'])}")
if r["genotype"] != r["genotypes"]["2"]:
    problems.append("genotype is not genotypes[E-1]")
for e in r["history"]:
    if not (e["base"]["images"] == 128 and e["valid"]["images"] == r["history"][0]["valid"]["images"] > 0):
        problems.append(f"epoch {e['epoch']}: images {e['base']['images']}, {e['valid']['images']}")
    if len(e["arch_probabilities"]) != 6 or any(abs(sum(row) - 1) > 1e-5 for row in e["arch_probabilities"]):
        problems.append(f"epoch {e['epoch']}: arch distribution is not 6 distributions")
# Distance of softmax(alpha) from uniform, after epoch 0 and after epoch 2.
far = [max(abs(p - 0.2) for row in e["arch_probabilities"] for p in row) for e in r["history"]]
if algo in ("darts-v1", "darts-v2", "gdas", "setn") and not far[2] > far[0]:
    problems.append(f"alpha did not move away from uniform: {far}")
if algo == "rsps" and len(set(json.dumps(e["arch_probabilities"]) for e in r["history"])) != 1:
    problems.append("RSPS changed alpha")
if algo == "enas":
    # --max-batches 2: two controller updates per epoch; the first epoch's baseline is the
    # accuracy itself, so its advantage is only the entropy bonus.
    for e in r["history"]:
        c = e.get("controller")
        if not c or c["updates"] != 2 or not 0 <= c["top1"] <= 100 or c["entropy"] <= 0:
            problems.append(f"epoch {e['epoch']}: controller training {c}")
    if len(set(json.dumps(e["arch_probabilities"]) for e in r["history"])) == 1:
        problems.append("the controller's distribution never changed")
elif any("controller" in e for e in r["history"]):
    problems.append("a controller record without a controller")
if summary["runs"] != 1 or summary["per_run"][0]["genotype"] != r["genotype"]:
    problems.append("summary does not match the run")
for p in problems:
    print("   ", algo + ":", p)
sys.exit(1 if problems else 0)
PY
    fail "$algo: result"
done

# 2. SIGKILL after the first epoch's checkpoint, then the same command: the same result.
for algo in gdas rsps enas; do
  out="$tmp/kill-$algo"
  search "$algo" "$out" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 600); do
    [ -s "$out/$algo-ImageNet16-120-seed5.ckpt" ] && break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  [ -s "$out/$algo-ImageNet16-120-seed5.ckpt" ] || fail "$algo: no checkpoint before SIGKILL"
  [ -e "$out/$algo-ImageNet16-120-seed5.json" ] && fail "$algo: finished before SIGKILL (test too slow to kill)"
  search "$algo" "$out" >/dev/null 2>"$tmp/resume.log" || fail "$algo: resume failed"
  [ "$(strip_times "$out/$algo-ImageNet16-120-seed5.json")" = \
    "$(strip_times "$tmp/$algo/$algo-ImageNet16-120-seed5.json")" ] ||
    fail "$algo: resumed after SIGKILL, result differs from the uninterrupted run"
  [ -e "$out/$algo-ImageNet16-120-seed5.ckpt" ] && fail "$algo: checkpoint left after the result"
done

# 3. SIGTERM mid-run: checkpoint + exit 75; the same command finishes with the same result.
out="$tmp/term"
search setn "$out" >/dev/null 2>"$tmp/term.log" &
pid=$!
for _ in $(seq 600); do
  grep -q "epoch 1/3" "$tmp/term.log" 2>/dev/null && break
  sleep 0.05
done
kill -TERM "$pid"; wait "$pid"; status=$?
if [ "$status" -eq 75 ]; then
  grep -q "same command resumes" "$tmp/term.log" || fail "SIGTERM: no resume hint"
  search setn "$out" >/dev/null 2>&1 || fail "setn: resume after SIGTERM failed"
elif [ "$status" -ne 0 ]; then
  fail "SIGTERM: exit $status, expected 75"
fi
[ "$(strip_times "$out/setn-ImageNet16-120-seed5.json")" = \
  "$(strip_times "$tmp/setn/setn-ImageNet16-120-seed5.json")" ] ||
  fail "setn: resumed after SIGTERM, result differs"

# 4. A damaged checkpoint is reported and the run starts over (same result).
out="$tmp/damaged"
mkdir -p "$out"
printf 'NATSBENCH-CHECKPOINT 1 0123 99\nshort' >"$out/gdas-ImageNet16-120-seed5.ckpt"
search gdas "$out" >/dev/null 2>"$tmp/damaged.log" || fail "gdas: damaged checkpoint not survived"
grep -q "truncated.*starting the run over" "$tmp/damaged.log" || fail "damaged checkpoint not reported"
[ "$(strip_times "$out/gdas-ImageNet16-120-seed5.json")" = \
  "$(strip_times "$tmp/gdas/gdas-ImageNet16-120-seed5.json")" ] || fail "gdas: restart differs"

# 5. Arguments.
expect_error 2 "searches the topology space" -- search --space sss --algo gdas --dataset cifar10 --out "$tmp/x"
expect_error 2 "--time-budget: an option of the multi-trial" -- search --space tss --algo gdas --dataset cifar10 --out "$tmp/x" --time-budget 5
expect_error 2 "--epochs: an option of the weight-sharing" -- search --space tss --algo rea --dataset cifar10 --epochs 5
expect_error 2 "--out: required by darts-v1" -- search --space tss --algo darts-v1 --dataset cifar10
expect_error 2 "darts-v1, darts-v2, gdas, setn, rsps or enas" -- search --space tss --algo enas2 --dataset cifar10
expect_error 2 "dataset 'cifar10-valid'" -- search --space tss --algo gdas --dataset cifar10-valid --data-root "$tmp/data" --out "$tmp/x"
expect_error 2 "--epochs" -- search --space tss --algo gdas --dataset ImageNet16-120 --data-root "$tmp/data" --out "$tmp/x" --epochs 0
# A finished result of other settings in --out is refused, not taken as this run's.
expect_error 2 "holds a run with other settings" -- search --space tss --algo gdas --dataset ImageNet16-120 --data-root "$tmp/data" --out "$tmp/gdas" --seeds 5 --epochs 4 --max-batches 2 --candidates 4
# Both binaries name the same weight-sharing algorithms (the LibTorch-free one keeps a list).
core_help=$("$natsbench" search --help | tr -s ' \n' ' ')
torch_help=$("$(dirname "$natsbench")/natsbench-torch" search --help | tr -s ' \n' ' ')
[ "$core_help" = "$torch_help" ] || fail "search --help differs between natsbench and natsbench-torch"

finish "search (weight-sharing)"
