#!/usr/bin/env bash
# natsbench search (multi-trial NAS, docs/nas-algorithms.md §6, §8.1, §9) on full-space archive
# directories built from the official samples (every index a link to one of the 3 sample files):
#   1. random search and REA visit exactly the candidates, accuracies, times and best-so-far
#      indexes of the same algorithm run in Python on the official API
#      (scripts/bench/reference_search.py);
#   2. the reported valid/test are the §8.1 interpolation between the two evaluations nearest to
#      the budget, computed here from the trajectory with the official API (and a budget chosen
#      so that the two best-so-far architectures differ);
#   3. --runs N: seeds K..K+N-1, each run as if alone, mean and population std;
#   4. budget rules: REA's initial population is not budget-checked, the last evaluation overshoots;
#   5. REINFORCE is reproducible and depends on the seed;
#   6. the paper's default budgets;
#   7. bad input: one line on stderr, exit 2, nothing on stdout.
# Usage: search_test.sh NATSBENCH PYTHON PYDEPS (PYTHON with numpy; PYDEPS holds nats_bench).
# Skips (exit 77) without NATSBENCH_REFERENCE_DIR; without nats_bench (or numpy) it runs the other
# checks and then skips, since the comparisons with the official API did not run.
set -u
natsbench="$1"
# The fixture links the three sample files under every index of the space.
export NATSBENCH_ALLOW_CLONED_ARCH_FILES=1
py="${2:-/usr/bin/python3}"
pydeps="${3:-}"
if [ -z "${NATSBENCH_REFERENCE_DIR:-}" ]; then echo "SKIP: NATSBENCH_REFERENCE_DIR is unset"; exit 77; fi
if ! "$py" -c 'import json' 2>/dev/null; then echo "SKIP: no python at $py"; exit 77; fi
samples="$NATSBENCH_REFERENCE_DIR/official-samples"
tmp=$(mktemp -d)
# The archive directories hold 48,393 links: on tmpfs where there is one (creating them on ext4
# here took from 2 to 20 s of system time).
links=$(mktemp -d -p /dev/shm natsbench-search.XXXXXX 2>/dev/null || mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp" "$links"' EXIT
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
reference="$here/../../scripts/bench/reference_search.py"

# Full-space archive directories: meta + one link per index to sample file i % 3 (one process).
"$py" - "$samples" "$links" <<'PY' || { echo "FAIL: cannot build the full-space archive directories"; exit 1; }
import os, sys
samples, links = sys.argv[1:3]
for name, size in (("NATS-tss-v1_0-3ffb9-simple", 15625), ("NATS-sss-v1_0-50262-simple", 32768)):
    src, dst = os.path.join(samples, name), os.path.join(links, name)
    os.mkdir(dst)
    os.symlink(os.path.join(src, "meta.pickle.pbz2"), os.path.join(dst, "meta.pickle.pbz2"))
    files = [os.path.join(src, f"{i:06d}.pickle.pbz2") for i in (0, 11, 284)]
    for i in range(size):
        os.symlink(files[i % 3], os.path.join(dst, f"{i:06d}.pickle.pbz2"))
PY
tss="$links/NATS-tss-v1_0-3ffb9-simple"
sss="$links/NATS-sss-v1_0-50262-simple"
bench_dir() { if [ "$1" = tss ]; then echo "$tss"; else echo "$sss"; fi; }

if "$py" -c 'import sys; sys.path.insert(0, sys.argv[1]); import numpy, nats_bench' "$pydeps" \
     2>/dev/null; then
  have_api=1
else
  have_api=0
  echo "note: numpy or nats_bench unavailable for $py (pydeps '$pydeps'): official-API checks skipped"
fi

# The checker: consistency of each output with its trajectory file, and (with the official API)
# the reference trajectories and the §8.1 scores. Failures are printed as "FAIL: ..." lines; the
# exit status is their number.
cat >"$tmp/check.py" <<'PY'
import json, math, os, sys

mode, tmp, tss, sss, pydeps, have_api = sys.argv[1:7]
have_api = have_api == "1"
args = sys.argv[7:]
failures = 0


def fail(message):
    global failures
    failures += 1
    print("FAIL: " + message)


def load(stem):
    lines = open(os.path.join(tmp, stem + ".out")).read().splitlines()
    if len(lines) != 1:
        raise ValueError(f"{len(lines)} stdout line(s), expected one JSON line")
    trajectories = [json.loads(line) for line in open(os.path.join(tmp, stem + ".traj"))]
    return json.loads(lines[0]), trajectories


apis = {}


def api(space):
    if space not in apis:
        sys.path.insert(0, pydeps)
        import nats_bench
        apis[space] = nats_bench.create(tss if space == "tss" else sss, space, fast_mode=True,
                                        verbose=False)
    return apis[space]


def reported(space, index, dataset):  # §9.2
    hp = "200" if space == "tss" else "90"
    a = api(space)
    if dataset == "cifar10":
        valid = a.get_more_info(index, "cifar10-valid", hp=hp, is_random=False)["valid-accuracy"]
        test = a.get_more_info(index, "cifar10", hp=hp, is_random=False)["test-accuracy"]
    else:
        info = a.get_more_info(index, dataset, hp=hp, is_random=False)
        valid, test = info["valid-accuracy"], info["test-accuracy"]
    return valid, test


def nearest_two(evaluations, t):  # §8.1: sorted() is stable, the earlier first on ties
    order = sorted(range(len(evaluations)), key=lambda i: abs(evaluations[i]["total_time"] - t))
    return order[:2]


def score(space, dataset, evaluations, t):
    pair = nearest_two(evaluations, t)
    a = evaluations[pair[0]]
    ya = reported(space, a["best_index"], dataset)
    if len(pair) == 1:
        return ya
    b = evaluations[pair[1]]
    yb = reported(space, b["best_index"], dataset)
    ta, tb = a["total_time"], b["total_time"]
    return tuple((tb - t) / (tb - ta) * ya[j] + (t - ta) / (tb - ta) * yb[j] for j in range(2))


def close(x, y, rel=1e-9):
    return math.isclose(x, y, rel_tol=rel, abs_tol=1e-12)


def mean_std(values):
    mean = sum(values) / len(values)
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def check_output(stem):
    out, trajectories = load(stem)
    space, dataset, algo, budget = out["space"], out["dataset"], out["algorithm"], out["time_budget"]
    keys = {"algorithm", "space", "dataset", "hp", "report_hp", "time_budget", "runs", "valid",
            "test", "evaluations", "best_accuracy", "per_run"}
    if set(out) != keys:
        fail(f"{stem}: keys {sorted(out)}, expected {sorted(keys)}")
    if out["hp"] != "12" or out["report_hp"] != {"tss": "200", "sss": "90"}[space]:
        fail(f"{stem}: hp {out['hp']} / report_hp {out['report_hp']}")
    runs = out["per_run"]
    if not (out["runs"] == len(runs) == len(trajectories)):
        fail(f"{stem}: runs {out['runs']}, {len(runs)} per_run, {len(trajectories)} trajectories")
    for run, trajectory in zip(runs, trajectories):
        evaluations = trajectory["evaluations"]
        name = f"{stem} seed {run['seed']}"
        if len(evaluations) == 0:
            fail(f"{name}: no evaluations")
            continue
        # The summary agrees with the trajectory.
        top = max(e["accuracy"] for e in evaluations)
        for key, want in (("seed", trajectory["seed"]), ("best_index", trajectory["best_index"]),
                          ("best_arch", trajectory["best_arch"]),
                          ("evaluations", len(evaluations)),
                          ("total_time", evaluations[-1]["total_time"]), ("best_accuracy", top)):
            if run[key] != want:
                fail(f"{name}: per_run {key} {run[key]!r}, trajectory says {want!r}")
        # Times accumulate each cost exactly; the best so far is the first most accurate one.
        total, best, best_accuracy = 0.0, None, None
        for i, e in enumerate(evaluations):
            total += e["time_cost"]
            if e["total_time"] != total:
                fail(f"{name}: evaluation {i} total_time {e['total_time']!r}, costs add to {total!r}")
                break
            if best is None or e["accuracy"] > best_accuracy:
                best, best_accuracy = e["index"], e["accuracy"]
            if e["best_index"] != best:
                fail(f"{name}: evaluation {i} best_index {e['best_index']}, expected {best}")
                break
        if trajectory["best_index"] != best:
            fail(f"{name}: best_index {trajectory['best_index']}, expected {best}")
        # Stops at the first evaluation reaching the budget (REA: not before its population;
        # BOHB runs its iterations whatever the budget).
        if algo == "bohb":
            pass
        elif evaluations[-1]["total_time"] < budget:
            fail(f"{name}: stopped at {evaluations[-1]['total_time']} < budget {budget}")
        if len(evaluations) > (10 if algo == "rea" else 1) and evaluations[-2]["total_time"] >= budget:
            fail(f"{name}: went on after reaching the budget ({evaluations[-2]['total_time']} >= {budget})")
        if have_api:
            a = api(space)
            if a.query_index_by_arch(run["best_arch"]) != run["best_index"]:
                fail(f"{name}: best_arch {run['best_arch']} is not index {run['best_index']}")
            want = score(space, dataset, evaluations, budget)
            if not (close(run["valid"], want[0]) and close(run["test"], want[1])):
                fail(f"{name}: valid/test {run['valid']!r}/{run['test']!r}, §8.1 gives "
                     f"{want[0]!r}/{want[1]!r}")
    # Mean and population std over the runs.
    for key, values in (("valid", [r["valid"] for r in runs]), ("test", [r["test"] for r in runs]),
                        ("evaluations", [r["evaluations"] for r in runs]),
                        ("best_accuracy", [r["best_accuracy"] for r in runs])):
        mean, std = mean_std(values)
        if not (close(out[key]["mean"], mean, 1e-12) and close(out[key]["std"], std, 1e-9)):
            fail(f"{stem}: {key} {out[key]}, per_run gives mean {mean!r}, population std {std!r}")

    # 1. The same algorithm in Python on the official API.
    ref_path = os.path.join(tmp, stem + ".ref")
    if os.path.exists(ref_path):
        ref = json.load(open(ref_path))
        evaluations = trajectories[0]["evaluations"]
        ours = {"indexes": [e["index"] for e in evaluations],
                "accuracies": [e["accuracy"] for e in evaluations],
                "total_times": [e["total_time"] for e in evaluations],
                "best_indexes": [e["best_index"] for e in evaluations]}
        for key in ours:
            if ours[key] != ref[key]:
                i = next((i for i, (x, y) in enumerate(zip(ours[key], ref[key])) if x != y),
                         min(len(ours[key]), len(ref[key])))
                fail(f"{stem}: {key} differ from reference_search.py at evaluation {i} of "
                     f"{len(ours[key])}/{len(ref[key])}: {ours[key][i:i + 1]} vs {ref[key][i:i + 1]}")
                break

    # 2. A budget picked between two evaluations whose best-so-far architectures report different
    # accuracies: the run is the prefix of the longer one, and its score a true interpolation.
    pick_path = os.path.join(tmp, stem + ".pick")
    if os.path.exists(pick_path):
        pick = json.load(open(pick_path))
        _, long = load(pick["long"])
        evaluations = trajectories[0]["evaluations"]
        if evaluations != long[pick["run"]]["evaluations"][:pick["k"] + 1]:
            fail(f"{stem}: the run at budget {budget!r} is not the first {pick['k'] + 1} "
                 f"evaluations of run {pick['run']} of {pick['long']}")
        if budget != pick["budget"]:
            fail(f"{stem}: time_budget {budget!r}, asked for {pick['budget']!r}")
        pair = nearest_two(evaluations, budget)
        ya, yb = (reported(space, evaluations[i]["best_index"], dataset) for i in pair)
        if not (abs(ya[0] - yb[0]) > 0.01 and abs(ya[1] - yb[1]) > 0.01):
            fail(f"{stem}: the two evaluations nearest to {budget} report (nearly) equal "
                 f"accuracies {ya} / {yb}: the interpolation check would be empty")


def pick(stem):
    # In the first run where there is one, the latest evaluation k after which the best-so-far
    # changes to an architecture reporting other accuracies; the budget 30% of the way from
    # evaluation k-1 to k (not halfway: swapped weights must show).
    out, trajectories = load(stem)
    first = 10 if out["algorithm"] == "rea" else 1
    for j, trajectory in enumerate(trajectories):
        evaluations = trajectory["evaluations"]
        for k in range(len(evaluations) - 1, first - 1, -1):
            before, after = evaluations[k - 1], evaluations[k]
            if before["best_index"] == after["best_index"]:
                continue
            t = before["total_time"] + 0.3 * (after["total_time"] - before["total_time"])
            pair = nearest_two(evaluations[:k + 1], t)
            ya, yb = (reported(out["space"], evaluations[i]["best_index"], out["dataset"])
                      for i in pair)
            if abs(ya[0] - yb[0]) > 0.01 and abs(ya[1] - yb[1]) > 0.01:
                new = stem + "-at"
                json.dump({"long": stem, "run": j, "k": k, "budget": t},
                          open(os.path.join(tmp, new + ".pick"), "w"))
                print(new, out["space"], out["algorithm"], out["dataset"], trajectory["seed"],
                      repr(t))
                return
    fail(f"{stem}: no evaluation changes the best-so-far to one reporting other accuracies")


def runs(many, first, last):
    # 3. --runs 3 --seed 5: seeds 5, 6, 7, each run as the single run with its seed.
    out, trajectories = load(many)
    seeds = [r["seed"] for r in out["per_run"]]
    if seeds != [5, 6, 7] or [t["seed"] for t in trajectories] != [5, 6, 7]:
        fail(f"{many}: seeds {seeds}, expected [5, 6, 7]")
        return
    for i, stem in ((0, first), (2, last)):
        single, single_trajectories = load(stem)
        if out["per_run"][i] != single["per_run"][0]:
            fail(f"{many}: per_run[{i}] {out['per_run'][i]} differs from {stem}'s {single['per_run'][0]}")
        if trajectories[i] != single_trajectories[0]:
            fail(f"{many}: trajectory {i} differs from {stem}'s")
    valid = [r["valid"] for r in out["per_run"]]
    if max(valid) - min(valid) < 0.1:
        fail(f"{many}: the 3 runs have (nearly) equal valid {valid}: the std check would be empty")
    mean, std = mean_std(valid)
    if not (close(out["valid"]["mean"], mean, 1e-12) and close(out["valid"]["std"], std)):
        fail(f"{many}: valid {out['valid']}, expected mean {mean!r} and population std {std!r}")


for arg in args:
    try:
        if mode == "check":
            check_output(arg)
        elif mode == "pick":
            pick(arg)
        elif mode == "runs":
            runs(*args)
            break
    except Exception as error:  # a missing file or key, a failed query: one failure
        fail(f"{arg}: {type(error).__name__}: {error}")
sys.exit(min(failures, 100))
PY
checker() {  # checker MODE ARGS...: failures are counted here
  "$py" "$tmp/check.py" "$1" "$tmp" "$tss" "$sss" "$pydeps" "$have_api" "${@:2}"
  failures=$((failures + $?))
}

stems=()
# search STEM ARGS...: natsbench search ARGS, its stdout in STEM.out and trajectories in STEM.traj.
search() {
  local stem="$1"; shift
  stems+=("$stem")
  "$natsbench" search "$@" --trajectories "$tmp/$stem.traj" >"$tmp/$stem.out" 2>"$tmp/$stem.err" ||
    fail "natsbench search $* exited $?: $(tail -n 2 "$tmp/$stem.err")"
}
json() {  # json STEM EXPR: EXPR on STEM.out's JSON as d (and its trajectories as t)
  "$py" -c 'import json, sys
d = json.load(open(sys.argv[1] + ".out")); t = [json.loads(l) for l in open(sys.argv[1] + ".traj")]
print(eval(sys.argv[2]))' "$tmp/$1" "$2" 2>&1
}
expect_json() {  # expect_json STEM EXPR VALUE
  local got; got=$(json "$1" "$2")
  [ "$got" = "$3" ] || fail "$1: $2 = $got, expected $3"
}

# 1 + 6. Random search and REA at the paper's budgets, with the reference run in Python alongside.
ref_pids=() ref_stems=()
for case in "cifar10 3" "ImageNet16-120 11"; do
  read -r dataset seed <<<"$case"
  for space in tss sss; do
    case "$dataset/$space" in
      cifar10/*) budget=20000 ;;
      ImageNet16-120/tss) budget=120000 ;;
      ImageNet16-120/sss) budget=60000 ;;
    esac
    for algo in random rea; do
      stem="$space-$algo-$dataset-$seed"
      if [ "$have_api" = 1 ]; then
        "$py" "$reference" "$space" "$(bench_dir "$space")" "$dataset" "$algo" "$seed" "$budget" \
          "$pydeps" >"$tmp/$stem.ref" 2>"$tmp/$stem.referr" &
        ref_pids+=($!) ref_stems+=("$stem")
      fi
      search "$stem" --space "$space" --algo "$algo" --dataset "$dataset" --seed "$seed" \
        --benchmark "$(bench_dir "$space")"
      expect_json "$stem" 'd["time_budget"]' "$budget.0"
    done
  done
done

# 3. Three runs and the single runs of their first and last seeds. At 300 s the 3 runs' scores
# differ (so a sample std would show), and every REA run still evaluates its whole population of
# 10, far past the budget.
runs=(--space tss --algo rea --dataset cifar100 --benchmark "$tss" --time-budget 300)
search runs3 "${runs[@]}" --runs 3 --seed 5
search runs-seed5 "${runs[@]}" --seed 5
search runs-seed7 "${runs[@]}" --seed 7
checker runs runs3 runs-seed5 runs-seed7

# 4. REA's initial population is evaluated whatever the budget; random search stops at once.
search rea-budget1 --space tss --algo rea --dataset cifar10 --benchmark "$tss" --time-budget 1
expect_json rea-budget1 '[d["per_run"][0]["evaluations"], len(t[0]["evaluations"])]' "[10, 10]"
search rea-population4 --space sss --algo rea --dataset cifar100 --benchmark "$sss" \
  --time-budget 1 --population 4 --seed 2
expect_json rea-population4 '[d["per_run"][0]["evaluations"], len(t[0]["evaluations"])]' "[4, 4]"
search random-budget1 --space tss --algo random --dataset ImageNet16-120 --benchmark "$tss" \
  --time-budget 1
expect_json random-budget1 '[d["per_run"][0]["evaluations"], len(t[0]["evaluations"])]' "[1, 1]"

# 5 (+ 6: cifar100). REINFORCE: the same seed gives the same output, another seed another
# trajectory.
search reinforce-tss --space tss --algo reinforce --dataset cifar100 --benchmark "$tss" --seed 2
search reinforce-tss-again --space tss --algo reinforce --dataset cifar100 --benchmark "$tss" --seed 2
search reinforce-tss-seed3 --space tss --algo reinforce --dataset cifar100 --benchmark "$tss" --seed 3
expect_json reinforce-tss 'd["time_budget"]' 40000.0
search reinforce-sss --space sss --algo reinforce --dataset cifar100 --benchmark "$sss" --seed 2
search reinforce-sss-again --space sss --algo reinforce --dataset cifar100 --benchmark "$sss" --seed 2
search reinforce-sss-seed3 --space sss --algo reinforce --dataset cifar100 --benchmark "$sss" --seed 3
expect_json reinforce-sss 'd["time_budget"]' 40000.0
for space in tss sss; do
  cmp -s "$tmp/reinforce-$space.out" "$tmp/reinforce-$space-again.out" &&
    cmp -s "$tmp/reinforce-$space.traj" "$tmp/reinforce-$space-again.traj" ||
    fail "reinforce on $space: two runs with seed 2 differ"
  indexes='[e["index"] for e in t[0]["evaluations"]]'
  [ "$(json "reinforce-$space" "$indexes")" != "$(json "reinforce-$space-seed3" "$indexes")" ] ||
    fail "reinforce on $space: seeds 2 and 3 visit the same architectures"
done

# BOHB: Hyperband brackets of 9 x 1 -> 3 x 4 -> 1 x 12, 3 x 4 -> 1 x 12, 3 x 12 epochs, each
# evaluation charged what the official API's simulate_train_eval charges for that many epochs;
# reproducible from its seed.
search bohb-tss --space tss --algo bohb --dataset cifar10 --benchmark "$tss" --iterations 6 --seed 4
search bohb-tss-again --space tss --algo bohb --dataset cifar10 --benchmark "$tss" --iterations 6 --seed 4
search bohb-sss --space sss --algo bohb --dataset cifar100 --benchmark "$sss" --iterations 3 --seed 4
cmp -s "$tmp/bohb-tss.traj" "$tmp/bohb-tss-again.traj" || fail "bohb: two runs with seed 4 differ"
pattern='[1]*9 + [4]*3 + [12] + [4]*3 + [12] + [12]*3'
expect_json bohb-tss '[e["epochs"] for e in t[0]["evaluations"]] == 2 * ('"$pattern"')' True
expect_json bohb-sss '[e["epochs"] for e in t[0]["evaluations"]] == '"$pattern" True
if [ "$have_api" = 1 ]; then
  for case in "bohb-tss tss cifar10" "bohb-sss sss cifar100"; do
    read -r stem space dataset <<<"$case"
    "$py" - "$tmp/$stem.traj" "$(bench_dir "$space")" "$space" "$dataset" "$pydeps" <<'PY' ||
import json, sys
traj, bench, space, dataset, pydeps = sys.argv[1:]
sys.path.insert(0, pydeps)
import nats_bench
api = nats_bench.create(bench, space, fast_mode=True, verbose=False)
for e in json.loads(open(traj).readline())["evaluations"]:
    want = api.simulate_train_eval(e["index"], dataset, iepoch=e["epochs"] - 1, hp="12")[2]
    if e["time_cost"] != want:
        sys.exit(f"{traj}: {e['epochs']} epochs of {e['index']} cost {e['time_cost']!r}, the API says {want!r}")
PY
      fail "bohb on $space: costs differ from the official API's"
  done
fi

# 7. Bad input.
expect_error 2 "--algo evolution: expected random, rea" -- \
  search --space tss --algo evolution --dataset cifar10 --benchmark "$tss"
expect_error 2 "dataset 'cifar10-valid': expected cifar10, cifar100 or ImageNet16-120" -- \
  search --space tss --algo random --dataset cifar10-valid --benchmark "$tss"
expect_error 2 "dataset 'cifar10-valid': expected cifar10, cifar100 or ImageNet16-120" -- \
  search --space tss --algo random --dataset cifar10-valid --benchmark "$tss" --time-budget 100
expect_error 2 "--runs: expected at least 1" -- \
  search --space tss --algo random --dataset cifar10 --benchmark "$tss" --runs 0
expect_error 2 "--time-budget: expected a positive number of seconds" -- \
  search --space tss --algo random --dataset cifar10 --benchmark "$tss" --time-budget -5
expect_error 2 "--time-budget: expected a positive number of seconds" -- \
  search --space tss --algo random --dataset cifar10 --benchmark "$tss" --time-budget 0
expect_error 2 "--seed: expected a non-negative integer" -- \
  search --space tss --algo random --dataset cifar10 --benchmark "$tss" --seed -1
expect_error 2 "BOHB needs at least 1 iteration" -- \
  search --space tss --algo bohb --dataset cifar10 --benchmark "$tss" --iterations 0
expect_error 2 "not '13'" -- \
  search --space tss --algo random --dataset cifar10 --benchmark "$tss" --hp 13
expect_error 2 "no directory $tmp/missing" -- \
  search --space tss --algo random --dataset cifar10 --benchmark "$tss" \
  --trajectories "$tmp/missing/runs.jsonl"
expect_error 2 "is a directory, expected a file" -- \
  search --space tss --algo random --dataset cifar10 --benchmark "$tss" --trajectories "$tmp"
expect_error 2 "REA population must be at least 1" -- \
  search --space sss --algo rea --dataset cifar10 --benchmark "$sss" --population 0
expect_error 2 "baseline momentum must be in [0, 1)" -- \
  search --space sss --algo reinforce --dataset cifar10 --benchmark "$sss" --ema-momentum 1
expect_error 2 "holds the tss benchmark (15625 architectures" -- \
  search --space sss --algo random --dataset cifar10 --benchmark "$tss"
# The official sample directories hold 3 architectures: the first missing one is named.
expect_error 2 "has no results: '$samples/NATS-tss-v1_0-3ffb9-simple/000129.pickle.pbz2' does not exist" -- \
  search --space tss --algo random --dataset cifar10 --benchmark "$samples/NATS-tss-v1_0-3ffb9-simple"
expect_error 2 "multi-trial search samples the whole space" -- \
  search --space sss --algo rea --dataset cifar100 --benchmark "$samples/NATS-sss-v1_0-50262-simple"
[ -e "$tmp/missing" ] && fail "a failed search created $tmp/missing"

# 1. Wait for the Python runs.
for i in "${!ref_pids[@]}"; do
  wait "${ref_pids[$i]}" ||
    { fail "reference_search.py for ${ref_stems[$i]}: $(tail -n 3 "$tmp/${ref_stems[$i]}.referr")"
      rm -f "$tmp/${ref_stems[$i]}.ref"; }
done

# 2. Budgets between two evaluations whose best-so-far architectures report different
# accuracies, on tss cifar10 (valid from cifar10-valid, test from cifar10) and sss
# ImageNet16-120. On these archive directories (3 distinct records) the best-so-far settles within
# a few evaluations, so the budget is picked among short runs of 20 seeds.
search short-tss --space tss --algo random --dataset cifar10 --benchmark "$tss" --runs 20 \
  --seed 1 --time-budget 1000
search short-sss --space sss --algo random --dataset ImageNet16-120 --benchmark "$sss" --runs 20 \
  --seed 1 --time-budget 1000
if [ "$have_api" = 1 ]; then
  "$py" "$tmp/check.py" pick "$tmp" "$tss" "$sss" "$pydeps" "$have_api" \
    short-tss short-sss >"$tmp/picks"
  failures=$((failures + $?))
  grep '^FAIL' "$tmp/picks"
  while read -r stem space algo dataset seed budget; do
    search "$stem" --space "$space" --algo "$algo" --dataset "$dataset" --seed "$seed" \
      --benchmark "$(bench_dir "$space")" --time-budget "$budget"
  done < <(grep -v '^FAIL' "$tmp/picks")
  [ "$(grep -vc '^FAIL' "$tmp/picks")" -eq 2 ] || fail "expected 2 picked budgets: $(cat "$tmp/picks")"
fi

# Every output against its trajectories, the reference runs and the §8.1 scores.
checker check "${stems[@]}"

if [ "$failures" -eq 0 ] && [ "$have_api" != 1 ]; then
  echo "SKIP: the other checks passed; the official-API comparisons need numpy and nats_bench"
  exit 77
fi
finish "cli.search"
