#!/usr/bin/env bash
# natsbench runs the file commands without LibTorch, with the answers of natsbench-torch, and
# hands every other command to natsbench-torch (same process, same exit codes).
set -u
front="$1"
torch="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for args in "arch --space tss --index 11" "arch --space sss --arch 8:8:40:32:40" "arch --space tss --index 15624"; do
  # shellcheck disable=SC2086  # the arguments are meant to be split
  [ "$("$front" $args)" = "$("$torch" $args)" ] || fail "natsbench $args differs from natsbench-torch"
done
[ "$("$front" arch --space tss --list | md5sum | cut -c1-32)" = 574688268bd9c4b8cf58be69e624cb66 ] ||
  fail "tss list"
if ldd "$front" | grep -q torch; then fail "natsbench links LibTorch"; fi
ldd "$torch" | grep -q torch || fail "natsbench-torch does not link LibTorch"

# Handed over: the LibTorch commands work through natsbench, errors included.
"$front" cost --space tss --index 11 --dataset cifar10 >"$tmp/cost.json" || fail "cost through natsbench"
grep -q '"params":0.802426' "$tmp/cost.json" || fail "cost answer: $(cat "$tmp/cost.json")"
natsbench="$front" expect_error 2 "unknown command 'nonsense'" -- nonsense
natsbench="$front" expect_error 2 "dataset 'nope'" -- cost --space tss --index 11 --dataset nope
"$front" --help | grep -q "train" || fail "natsbench --help does not list train"
"$front" bench --help | grep -q "load" || fail "natsbench bench --help does not list load"
"$front" --version | grep -q "natsbench" || fail "natsbench --version"

# Without natsbench-torch beside it: file commands still work, the others say what is missing.
cp "$front" "$tmp/natsbench"
"$tmp/natsbench" arch --space tss --index 11 >/dev/null || fail "arch without natsbench-torch"
natsbench="$tmp/natsbench" expect_error 1 "needs LibTorch, in natsbench-torch" -- train --space tss --arch 1
finish "natsbench / natsbench-torch"
