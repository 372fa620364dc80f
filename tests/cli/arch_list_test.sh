#!/usr/bin/env bash
# The official index orders, end to end through the CLI (md5 of the official meta lists).
set -eu
natsbench="$1"
check() {  # check <space> <expected md5> <expected lines>
  local sum lines
  sum=$("$natsbench" arch --space "$1" --list | md5sum | cut -d' ' -f1)
  lines=$("$natsbench" arch --space "$1" --list | wc -l)
  if [ "$sum" != "$2" ] || [ "$lines" != "$3" ]; then
    echo "FAIL: $1 list md5 $sum ($lines lines), expected $2 ($3 lines)"; exit 1
  fi
}
check tss 574688268bd9c4b8cf58be69e624cb66 15625
check sss 27964241b0517e2a55b0f92f131ce66f 32768

expect() {  # expect <expected stdout> <args...>
  local want="$1"; shift
  local got; got=$("$natsbench" "$@")
  if [ "$got" != "$want" ]; then echo "FAIL: natsbench $* -> $got, expected $want"; exit 1; fi
}
a11='|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|'
expect "{\"arch\":\"$a11\",\"index\":11}" arch --space tss --index 11
expect "{\"arch\":\"$a11\",\"index\":11}" arch --space tss --arch "$a11"
expect '{"arch":"8:8:40:32:40","index":284}' arch --space sss --index 284
expect '{"arch":"64:64:64:64:64","index":32767}' arch --space sss --arch 64:64:64:64:64
expect '{"arch":"8:8:8:8:8","index":0}' arch --space size --index 0
echo "arch lists and lookups match the official order"
