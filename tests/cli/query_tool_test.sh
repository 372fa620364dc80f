#!/usr/bin/env bash
# natsbench-query: the file commands without LibTorch give the same answers as natsbench.
set -u
full="$1"
core="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for args in "arch --space tss --index 11" "arch --space sss --arch 8:8:40:32:40" "arch --space tss --index 15624"; do
  # shellcheck disable=SC2086  # the arguments are meant to be split
  [ "$("$core" $args)" = "$("$full" $args)" ] || fail "natsbench-query $args differs from natsbench"
done
[ "$("$core" arch --space tss --list | md5sum | cut -c1-32)" = 574688268bd9c4b8cf58be69e624cb66 ] ||
  fail "tss list"
if ldd "$core" | grep -q torch; then fail "natsbench-query links LibTorch"; fi
natsbench="$core" expect_error 2 "unknown command 'train'" -- train --space tss --arch 1
"$core" --help | grep -q "bench" || fail "natsbench-query --help lists no bench"
finish "natsbench-query"
