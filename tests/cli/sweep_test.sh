#!/usr/bin/env bash
# natsbench sweep + collect as a cluster user runs them: two workers sharing one directory never
# train the same run; a sweep killed with SIGKILL at random moments and restarted completes with
# every record valid; collect writes files that plain pickle and the official API read, with the
# same answers as natsbench; collect --check reports gaps; bad records give clear errors.
set -u
natsbench="$1"
pydeps="$2"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
py=/usr/bin/python3

"$natsbench" make-fake-data --root "$tmp/data" --dataset cifar10 --train 600 --test 200 --seed 3 \
  >/dev/null || fail "make-fake-data"
sweep=("$natsbench" sweep --space sss --range 0-5 --hp 01 --datasets cifar10-valid,cifar10
       --data-root "$tmp/data" --max-batches 1 --threads 1)
runs=12  # 6 archs x seed 777 x 2 datasets

# 1. Two workers on one directory, same shard: every run trained exactly once.
"${sweep[@]}" --out "$tmp/two" >"$tmp/w1.json" 2>"$tmp/w1.log" &
p1=$!
"${sweep[@]}" --out "$tmp/two" >"$tmp/w2.json" 2>"$tmp/w2.log" &
p2=$!
wait $p1 || fail "worker 1"
wait $p2 || fail "worker 2"
trained=$(cat "$tmp/w1.log" "$tmp/w2.log" | grep -c ': training')
[ "$trained" -eq "$runs" ] || fail "two workers trained $trained runs, expected $runs (no duplicates)"
$py - "$tmp/w1.json" "$tmp/w2.json" "$runs" <<'PY' || fail "worker summaries do not add up"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["trained"] + b["trained"] == int(sys.argv[3]), (a, b)
PY
status=$("$natsbench" sweep --status --out "$tmp/two")
echo "$status" | grep -q "\"complete\":$runs" || fail "status: $status"
echo "$status" | grep -q '"remaining":0' || fail "status remaining: $status"

# Records say which data they were trained on: fake data are not the official bytes.
$py - "$tmp/two/sss/hp-01/arch-000003/seed-0777-cifar10.json" <<'PY' || fail "record's data report"
import json, sys
data = json.load(open(sys.argv[1]))["environment"]["data"]
assert data["checksums"]["status"] == "mismatch" and data["official_sizes"] is False, data
assert data["layout"] == "python" and data["root"].endswith("/data"), data
PY

# 1b. Three runs at once (--concurrent 3, interleaved on one thread) give the same numbers as one
# at a time; SIGTERM mid-sweep checkpoints every active run, and the restart completes them.
compare_records() {  # DIR_A DIR_B: every record's metrics bit-identical
  $py "$(dirname "${BASH_SOURCE[0]}")/../../scripts/bench/compare_runs.py" "$1" "$2" >"$tmp/cmp.json" ||
    { cat "$tmp/cmp.json"; return 1; }
}
"${sweep[@]}" --out "$tmp/three" --concurrent 3 >"$tmp/c3.json" 2>"$tmp/c3.log" ||
  fail "sweep --concurrent 3: $(tail -n 3 "$tmp/c3.log")"
grep -q '"trained":12' "$tmp/c3.json" || fail "sweep --concurrent 3 summary: $(cat "$tmp/c3.json")"
grep -q 'the runs share the CPU threads' "$tmp/c3.log" || fail "no CPU concurrency warning"
compare_records "$tmp/two" "$tmp/three" || fail "--concurrent 3 records differ from one at a time"
$py - "$tmp/three" <<'PY' || fail "records do not say how many runs shared the device"
import json, pathlib, sys
for p in pathlib.Path(sys.argv[1]).glob("sss/**/*.json"):
    env = json.load(open(p))["environment"]
    assert env["concurrent_runs"] == 3 and env["train_step"] == "eager", (str(p), env)
PY
"$natsbench" collect --space sss --runs "$tmp/three" --check >"$tmp/c3check.json" 2>/dev/null ||
  fail "collect --check of the --concurrent 3 sweep: $(cat "$tmp/c3check.json")"
grep -q '"runs_sharing_the_device":12' "$tmp/c3check.json" ||
  fail "collect does not count the runs that shared the device: $(cat "$tmp/c3check.json")"
sigterm=("$natsbench" sweep --space sss --range 0-5 --hp 01 --datasets cifar10-valid
         --data-root "$tmp/data" --max-batches 2 --threads 1 --concurrent 3 --out "$tmp/term")
"${sigterm[@]}" >"$tmp/t1.json" 2>"$tmp/t1.log" &
pid=$!
for _ in $(seq 1 400); do  # until the first three runs are claimed
  [ "$(find "$tmp/term" -name '*.lock' 2>/dev/null | wc -l)" -eq 3 ] && break
  sleep 0.05
done
sleep 0.3
kill -TERM "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 75 ] || fail "sweep --concurrent 3 after SIGTERM exited $rc: $(tail -n 3 "$tmp/t1.log")"
grep -q '"interrupted":true' "$tmp/t1.json" || fail "SIGTERM summary: $(cat "$tmp/t1.json")"
[ -z "$(find "$tmp/term" -name '*.lock')" ] || fail "locks left after SIGTERM"
[ "$(find "$tmp/term" -name '*.ckpt' | wc -l)" -eq 3 ] ||
  fail "SIGTERM: expected a checkpoint for each of the 3 active runs"
"${sigterm[@]}" >"$tmp/t2.json" 2>"$tmp/t2.log" || fail "restart after SIGTERM"
"$natsbench" sweep --space sss --range 0-5 --hp 01 --datasets cifar10-valid --data-root "$tmp/data" \
  --max-batches 2 --threads 1 --out "$tmp/term-ref" >/dev/null 2>&1 ||
  fail "reference sweep for the SIGTERM case"
compare_records "$tmp/term-ref" "$tmp/term" || fail "SIGTERM + restart records differ"

# 2. Shards 0/2 and 1/2 together are the plan.
"${sweep[@]}" --out "$tmp/shards" --shard 0/2 >"$tmp/s0.json" 2>/dev/null || fail "shard 0/2"
"${sweep[@]}" --out "$tmp/shards" --shard 1/2 >"$tmp/s1.json" 2>/dev/null || fail "shard 1/2"
n=$(find "$tmp/shards/sss" -name '*.json' | wc -l)
[ "$n" -eq "$runs" ] || fail "shards wrote $n records, expected $runs"

# 3. SIGKILL at random moments, restart, repeat: nothing lost, every record valid.
for attempt in 1 2 3 4; do
  "${sweep[@]}" --out "$tmp/killed" >/dev/null 2>&1 &
  pid=$!
  sleep "0.$((RANDOM % 9 + 1))"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
done
"${sweep[@]}" --out "$tmp/killed" >"$tmp/k.json" 2>"$tmp/k.log" || fail "sweep after SIGKILLs"
"$natsbench" collect --space sss --runs "$tmp/killed" --check >"$tmp/kc.json" 2>/dev/null ||
  fail "collect --check after SIGKILLs: $(cat "$tmp/kc.json")"
n=$(find "$tmp/killed/sss" -name '*.json' | wc -l)
[ "$n" -eq "$runs" ] || fail "after SIGKILLs: $n records, expected $runs"
[ -z "$(find "$tmp/killed/sss" -name '*.lock' -o -name '*.ckpt' -o -name '*.tmp*')" ] ||
  fail "locks, checkpoints or temp files left after the sweep finished"

# 4. Collect: both forms, manifest, independent readers, same answers as natsbench.
"$natsbench" collect --space sss --runs "$tmp/two" --out "$tmp/bench" >"$tmp/collect.json" ||
  fail "collect"
grep -q '"runs_sharing_the_device":0' "$tmp/collect.json" || fail "collect: $(cat "$tmp/collect.json")"
bench=$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["benchmark_file"])' "$tmp/collect.json")
(cd "$tmp/bench" && sha256sum -c --quiet MANIFEST.sha256) || fail "manifest does not verify"
case "$(basename "$bench")" in
  NATS-sss-v1_0-?????.pickle.pbz2) ;;
  *) fail "benchmark file name $(basename "$bench")" ;;
esac
[ "$(md5sum "$bench" | cut -c28-32)" = "$(basename "$bench" | cut -c15-19)" ] ||
  fail "the name's hash is not the last 5 hex of the file's md5"
"$natsbench" query --space sss --benchmark "$bench" more --index 3 --dataset cifar10-valid --hp 01 \
  --seed 777 >"$tmp/ours.json" || fail "natsbench query on the collected file"
if $py -c 'import numpy' 2>/dev/null; then
  $py - "$bench" "${bench%.pickle.pbz2}-simple" "$tmp/ours.json" "$pydeps" <<'PY' || fail "independent readers"
import bz2, json, os, pickle, sys
bench, simple, ours, pydeps = sys.argv[1:5]
# Plain pickle: the schema of docs/archive-format.md §3.
data = pickle.loads(bz2.decompress(open(bench, "rb").read()))
assert list(data) == ["meta_archs", "total_archs", "arch2infos", "evaluated_indexes"], list(data)
assert data["total_archs"] == 32768 and len(data["meta_archs"]) == 32768
assert data["meta_archs"][3] == "8:8:8:8:32", data["meta_archs"][3]
assert sorted(data["arch2infos"]) == [0, 1, 2, 3, 4, 5] and data["evaluated_indexes"] == set(range(6))
info = data["arch2infos"][3]
assert list(info) == ["01"], list(info)
result = info["01"]
assert list(result) == ["arch_index", "arch_str", "all_results", "dataset_seed", "clear_net_done"]
assert result["dataset_seed"] == {"cifar10-valid": [777], "cifar10": [777]}
record = result["all_results"][("cifar10-valid", 777)]
assert record["seed"] == "0777" and record["epochs"] == 1 and record["name"] == "cifar10-valid"
assert record["eval_names"] == ["x-valid", "ori-test"], record["eval_names"]
assert set(record["eval_acc1es"]) == {"x-valid@0", "ori-test@0"}
assert record["arch_config"]["channels"] == "8:8:8:8:32"
meta = pickle.loads(bz2.decompress(open(os.path.join(simple, "meta.pickle.pbz2"), "rb").read()))
assert meta["arch2infos"] is None and len(meta["meta_archs"]) == 32768
# The official API, both forms: the same numbers natsbench printed.
sys.path.insert(0, pydeps)
try:
    from nats_bench import create
except ImportError:
    print("note: nats_bench not available, official-API check skipped")
    sys.exit(0)
expected = json.load(open(ours))
for path, fast in ((bench, False), (simple, True)):
    api = create(path, "sss", fast_mode=fast, verbose=False)
    got = api.get_more_info(3, "cifar10-valid", hp="01", is_random=777)
    for key, value in expected.items():
        assert got[key] == value, (path, key, got[key], value)
PY
fi

# 5. collect --check on an incomplete sweep: the missing and failed runs are named, exit 1.
cp -r "$tmp/two" "$tmp/partial"
rm "$tmp/partial/sss/hp-01/arch-000002/seed-0777-cifar10.json"
$py - "$tmp/partial/sss/hp-01/arch-000004/seed-0777-cifar10-valid.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["status"] = "failed"; r["failure"] = {"epoch": 0, "reason": "non-finite training loss (nan) in epoch 0"}
json.dump(r, open(sys.argv[1], "w"))
PY
"$natsbench" collect --space sss --runs "$tmp/partial" --check >"$tmp/check.json" 2>"$tmp/check.log"
[ $? -eq 1 ] || fail "collect --check on a partial sweep should exit 1"
grep -q '"missing":1' "$tmp/check.json" || fail "check: missing count: $(cat "$tmp/check.json")"
grep -q '"failed":1' "$tmp/check.json" || fail "check: failed count"
grep -q "missing: hp 01 arch 2 seed 777 cifar10" "$tmp/check.log" || fail "check does not name the missing run"
"$natsbench" collect --space sss --runs "$tmp/partial" --out "$tmp/pbench" >/dev/null 2>"$tmp/p.log" ||
  fail "a partial sweep must still collect"
grep -q "partial benchmark: 1 missing and 1 failed" "$tmp/p.log" || fail "no partial-benchmark warning"

# 6. Bad records: one clear line naming the file, exit 1, nothing written.
expect_collect_error() {  # <runs dir> <needle>
  "$natsbench" collect --space sss --runs "$1" --out "$tmp/nothing" >"$tmp/out" 2>"$tmp/err"
  local status=$?
  if [ "$status" -ne 1 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -qF -- "$2" "$tmp/err"; then
    fail "collect on $1: status $status, expected 1 and one line with '$2'"; sed 's/^/    /' "$tmp/err"
  fi
  [ ! -e "$tmp/nothing" ] || { fail "collect wrote output for bad input"; rm -rf "$tmp/nothing"; }
}
cp -r "$tmp/two" "$tmp/corrupt"
f="$tmp/corrupt/sss/hp-01/arch-000001/seed-0777-cifar10.json"
head -c 100 "$f" >"$f.x" && mv "$f.x" "$f"
expect_collect_error "$tmp/corrupt" "$f: invalid: not valid JSON"
cp -r "$tmp/two" "$tmp/field"
f="$tmp/field/sss/hp-01/arch-000001/seed-0777-cifar10.json"
$py -c 'import json,sys; r=json.load(open(sys.argv[1])); del r["train_losses"]; json.dump(r, open(sys.argv[1],"w"))' "$f"
expect_collect_error "$tmp/field" "train_losses"
cp -r "$tmp/two" "$tmp/space"
mkdir -p "$tmp/space/sss/hp-01/arch-000005"
$py - "$tmp/space/sss/hp-01/arch-000005/seed-0777-cifar10.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["space"] = "tss"; r["arch"] = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|"; r["arch_index"] = 11
json.dump(r, open(sys.argv[1], "w"))
PY
expect_collect_error "$tmp/space" "a record of the tss space, collecting sss"

finish "sweep/collect CLI"
