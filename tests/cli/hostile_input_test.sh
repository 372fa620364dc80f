#!/usr/bin/env bash
# Inputs that used to give a wrong answer with exit 0, hang, or leave partial output that loads
# (issue 15): each case here names the file or argument and exits non-zero, writes nothing
# partial, and never blocks. Also: a benchmark file written the way the official files were
# (Python's pickler, every container memoised) answers as the same records written by natsbench.
# Usage: hostile_input_test.sh NATSBENCH PYTHON PYDEPS        (exit 77 = skipped)
set -u
natsbench="$(realpath "$1")" python="$2" pydeps="$(realpath "$3")"
here="$(cd "$(dirname "$0")" && pwd)"
reference="${NATSBENCH_REFERENCE_DIR:-}"
if [ -z "$reference" ]; then echo "SKIP: NATSBENCH_REFERENCE_DIR is unset"; exit 77; fi
tss="$reference/official-samples/NATS-tss-v1_0-3ffb9-simple"
sss="$reference/official-samples/NATS-sss-v1_0-50262-simple"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect STATUS NEEDLE -- ARGS: exit STATUS, one stderr line holding NEEDLE, within 20 s.
expect() {
  local want="$1" needle="$2"; shift 2; [ "$1" = "--" ] && shift
  timeout 20 "$natsbench" "$@" >out.txt 2>err.txt; local status=$?
  if [ "$status" -ne "$want" ] || [ "$(wc -l <err.txt)" -ne 1 ] || ! grep -qF -- "$needle" err.txt; then
    fail "natsbench $* -> status $status (want $want), stderr:"; sed 's/^/    /' err.txt
  fi
}

# 1. The other space's benchmark is refused, naming both.
expect 2 "holds the sss benchmark" -- query --space tss --benchmark "$sss" more --index 11 --dataset cifar10 --hp 12
expect 2 "not tss as requested" -- bench load --space tss --benchmark "$sss"
expect 2 "holds the tss benchmark" -- query --space sss --benchmark "$tss" config --index 11 --dataset cifar10

# 2. An architecture file under another index, or with an edited index, is refused.
cp -r "$tss" renamed && chmod -R u+w renamed
cp renamed/000284.pickle.pbz2 renamed/000011.pickle.pbz2
expect 1 "holds architecture 284" -- query --space tss --benchmark renamed more --index 11 --dataset cifar10 --hp 12

# 3. A FIFO or a device as a benchmark file is refused at once, named for what it is.
rm renamed/000011.pickle.pbz2 && mkfifo renamed/000011.pickle.pbz2
expect 1 "a FIFO, expected a regular file" -- query --space tss --benchmark renamed more --index 11 --dataset cifar10 --hp 12
rm renamed/000011.pickle.pbz2 && ln -s /dev/zero renamed/000011.pickle.pbz2
expect 1 "a character device" -- query --space tss --benchmark renamed more --index 11 --dataset cifar10 --hp 12
mkdir fifo-meta && mkfifo fifo-meta/meta.pickle.pbz2
expect 1 "a FIFO" -- query --space tss --benchmark fifo-meta more --index 0 --dataset cifar10 --hp 12

# 4. convert --to DIR: a non-empty target is refused; an interrupted convert leaves nothing.
mkdir target && touch target/000099.pickle.pbz2
expect 2 "is not empty" -- convert --space tss --from "$tss" --to target
"$natsbench" bench synth --space tss --from "$tss" --archs 400 --out many.pickle.pbz2 >/dev/null ||
  fail "bench synth"
"$natsbench" convert --space tss --from many.pickle.pbz2 --to converted >/dev/null 2>err.txt &
pid=$!
for _ in $(seq 200); do compgen -G "converted.tmp.*" >/dev/null && break; sleep 0.1; done
sleep 0.3
kill -INT "$pid"; wait "$pid"; status=$?
if ! compgen -G "converted.tmp.*" >/dev/null && [ ! -e converted ] && [ "$status" -eq 130 ] &&
   grep -qF "interrupted by SIGINT" err.txt; then :; else
  fail "convert after SIGINT: status $status, left: $(ls -d converted* 2>/dev/null)"; cat err.txt
fi
# A temporary left by a killed writer is removed by the next write of the same target.
mkdir converted.tmp.AbC123 && touch converted.tmp.AbC123/000001.pickle.pbz2
"$natsbench" convert --space tss --from "$tss" --to converted >/dev/null || fail "convert"
[ ! -e converted.tmp.AbC123 ] || fail "stale temporary directory kept"
[ "$(ls converted | wc -l)" -eq 4 ] || fail "converted holds $(ls converted | wc -l) files, want 4"
# A target spelt with a trailing slash (as in the README) names the same directory.
"$natsbench" convert --space tss --from "$tss" --to slashed/ >/dev/null || fail "convert --to slashed/"
[ "$(ls slashed | wc -l)" -eq 4 ] || fail "slashed/ holds $(ls slashed | wc -l) files, want 4"

# 5. collect --check finds nothing for what was asked: an error, not a clean report.
mkdir empty-runs
expect 2 "nothing to check or collect" -- collect --check --space tss --runs empty-runs

# 6. Non-finite numbers, negative seeds and unbounded sizes are refused, naming the option.
expect 2 "--flop-max 'nan': expected a finite number" -- query --space tss --benchmark "$tss" find-best --dataset cifar10 --metric valid --flop-max nan
expect 2 "--param-max '-inf': expected a finite number" -- query --space tss --benchmark "$tss" find-best --dataset cifar10 --metric valid --param-max -inf
expect 2 "--seed" -- make-fake-data --root fake --dataset cifar10 --seed -1
expect 2 "--train" -- make-fake-data --root fake --dataset cifar10 --train 2147483647
[ ! -e fake ] || fail "make-fake-data wrote fake/ for a refused command line"
expect 2 "--threads 100000: expected 1 to 1024" -- train --space tss --arch 0 --datasets cifar10 --data-root fake --hp 01 --threads 100000 --out run

# 8. Unclear messages: each names the argument and what was expected, on one line.
q=(query --space tss --benchmark "$tss")
expect 2 "metric 'bogus' is not one of train, valid, test, ori-test (for cifar10)" -- "${q[@]}" find-best --dataset cifar10 --metric bogus
expect 2 "iepoch 200 is out of range: record cifar10 seed 0777 has epochs 0..199" -- "${q[@]}" more --index 11 --dataset cifar10 --hp 200 --iepoch 200
expect 2 "iepoch -1 is out of range" -- "${q[@]}" more --index 11 --dataset cifar10 --hp 200 --iepoch -1
expect 2 "'|nor_conv_3x3~0|+\\n|skip_connect~0|' is not in the tss benchmark" -- "${q[@]}" more --arch "$(printf '|nor_conv_3x3~0|+\n|skip_connect~0|')" --dataset cifar10
# A damaged meta list is named with its file: empty, a wrong count, a duplicate.
for case in empty count duplicate; do
  mkdir "meta-$case" && ln -s "$tss/000011.pickle.pbz2" "meta-$case/"
  "$python" - "$tss/meta.pickle.pbz2" "meta-$case/meta.pickle.pbz2" "$case" <<'PY'
import bz2, pickle, sys
meta = pickle.load(bz2.open(sys.argv[1]))
case = sys.argv[3]
if case == "empty":
    meta["meta_archs"], meta["total_archs"] = [], -5
elif case == "count":
    meta["meta_archs"] = meta["meta_archs"][:100]
else:
    meta["meta_archs"][5] = meta["meta_archs"][4]
with bz2.open(sys.argv[2], "wb") as f:
    pickle.dump(meta, f)
PY
done
expect 1 "meta-empty/meta.pickle.pbz2': meta_archs is empty, expected the 15625" -- "${q[@]/$tss/meta-empty}" more --index 11 --dataset cifar10
expect 1 "meta-count/meta.pickle.pbz2': meta_archs holds 100 architectures, expected 15625" -- "${q[@]/$tss/meta-count}" more --index 11 --dataset cifar10
expect 1 "meta-duplicate/meta.pickle.pbz2" -- "${q[@]/$tss/meta-duplicate}" more --index 11 --dataset cifar10
grep -qF "duplicate" err.txt || fail "a duplicate meta string is not called one: $(cat err.txt)"
# An output that cannot be written is a bad argument (exit 2) for every command, found before
# any work.
touch plain-file
expect 2 "--to plain-file/out: no directory" -- convert --space tss --from "$tss" --to plain-file/out
expect 2 "--to plain-file/x.pickle.pbz2: no directory" -- convert --space tss --from "$tss" --to plain-file/x.pickle.pbz2
expect 2 "--out plain-file/x.pickle.pbz2: no directory" -- bench synth --space tss --from "$tss" --archs 2 --out plain-file/x.pickle.pbz2
expect 2 "plain-file is not a directory" -- collect --space tss --runs empty-runs --out plain-file/bench
[ ! -e collected ] && "$natsbench" collect --space tss --runs empty-runs --out collected 2>/dev/null
[ ! -e collected ] || fail "collect refused its input but left collected/ behind"
expect 2 "--trajectories plain-file/t.jsonl: no directory" -- search --space tss --benchmark "$tss" --algo random --dataset cifar10 --trajectories plain-file/t.jsonl
if [ -x "$(dirname "$natsbench")/natsbench-torch" ]; then
  expect 2 "--out plain-file/w.pth: no directory" -- weights --space tss --index 11 --dataset cifar10 --seed 1 --out plain-file/w.pth
  expect 2 "--out plain-file/run: cannot create the directory" -- train --space tss --arch 0 --datasets cifar10 --data-root . --hp 01 --out plain-file/run
fi

# 7. A file written by the official writer loads with the same answers as natsbench's own.
if "$python" -c "import sys; sys.path.insert(0, '$pydeps'); import numpy, nats_bench" 2>/dev/null; then
  "$python" "$here/../bench/write_official_benchmark.py" "$pydeps" "$tss" 30 official.pickle.pbz2 ||
    fail "write_official_benchmark.py"
  "$natsbench" bench synth --space tss --from "$tss" --archs 30 --out ours.pickle.pbz2 >/dev/null
  for index in 0 1 2 29; do
    for hp in 12 200; do
      a=$("$natsbench" query --space tss --benchmark official.pickle.pbz2 more --index $index --dataset cifar100 --hp $hp --seed 777 2>&1)
      b=$("$natsbench" query --space tss --benchmark ours.pickle.pbz2 more --index $index --dataset cifar100 --hp $hp --seed 777 2>&1)
      [ -n "$a" ] && [ "$a" = "$b" ] || fail "index $index hp $hp: official-format '$a' vs '$b'"
    done
  done
else
  echo "note: numpy or nats_bench missing: official-format load not checked"
fi

[ "$failures" -eq 0 ] && echo "hostile inputs: all refused as expected"
exit $((failures > 0))
