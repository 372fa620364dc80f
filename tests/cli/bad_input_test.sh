#!/usr/bin/env bash
# Bad command-line input: exit status 2, exactly one line on stderr naming the argument, no
# stack trace, nothing on stdout.
set -u
natsbench="$1"
failures=0

expect_error() {  # expect_error <words that must appear in the message> -- <args...>
  local needle="$1"; shift; [ "$1" = "--" ] && shift
  local out err status
  out=$(mktemp); err=$(mktemp)
  "$natsbench" "$@" >"$out" 2>"$err"; status=$?
  local lines; lines=$(wc -l <"$err")
  if [ "$status" -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$needle" "$err" || [ -s "$out" ]; then
    echo "FAIL: natsbench $* -> status $status, $lines stderr line(s), expected 2 / 1 line with '$needle'"
    sed 's/^/    stderr: /' "$err"; sed 's/^/    stdout: /' "$out" | head -3
    failures=$((failures + 1))
  fi
  rm -f "$out" "$err"
}

canon='|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|'

# Malformed and non-canonical tss strings (docs/networks.md §1.3).
expect_error "unknown op 'conv_5x5'" -- arch --space tss --arch '|conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|'
expect_error "needs a source node in 0..0" -- arch --space tss --arch '|nor_conv_3x3~1|+|none~0|none~1|+|none~0|none~1|none~2|'
expect_error "needs a source node" -- arch --space tss --arch '|nor_conv_3x3~-1|+|none~0|none~1|+|none~0|none~1|none~2|'
expect_error "not of the form op~source" -- arch --space tss --arch '|nor_conv_3x3|+|none~0|none~1|+|none~0|none~1|none~2|'
expect_error "has no incoming edge" -- arch --space tss --arch '|nor_conv_3x3~0|++|none~0|none~1|none~2|'
expect_error "canonical spelling: $canon" -- arch --space tss --arch "${canon#|}"
expect_error "canonical spelling: $canon" -- arch --space tss --arch "${canon%|}"
expect_error "edge ' ' is not of the form op~source" -- arch --space tss --arch ' '"$canon"
expect_error "not a canonical tss architecture" -- arch --space tss --arch '|nor_conv_3x3~0|+|avg_pool_3x3~1|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|'
expect_error "not a canonical tss architecture" -- arch --space tss --arch '|nor_conv_3x3~0|+|nor_conv_3x3~0|+|nor_conv_3x3~1|'
expect_error "unknown op 'NOR_CONV_3X3'" -- arch --space tss --arch '|NOR_CONV_3X3~0|+|none~0|none~1|+|none~0|none~1|none~2|'
expect_error "arch string ''" -- arch --space tss --arch ''
# sss strings.
expect_error "not a canonical sss architecture" -- arch --space sss --arch '8:8:8:8'
expect_error "not a canonical sss architecture" -- arch --space sss --arch '8:8:8:8:12'
expect_error "not a canonical sss architecture" -- arch --space sss --arch '08:8:8:8:8'
expect_error "not a canonical sss architecture" -- cost --space sss --arch '8:8:8:8:72' --dataset cifar10
# Indexes.
expect_error "tss index 15625: expected 0..15624" -- arch --space tss --index 15625
expect_error "sss index 32768: expected 0..32767" -- arch --space sss --index 32768
expect_error "--index '-1': expected a non-negative integer" -- arch --space tss --index -1
expect_error "--index 'abc': expected a non-negative integer" -- arch --space tss --index abc
expect_error "--index '': expected a non-negative integer" -- arch --space tss --index ''
expect_error "--index '99999999999': expected a non-negative integer" -- cost --space tss --index 99999999999 --dataset cifar10
expect_error "tss index '-3': expected a non-negative integer" -- cost --space tss --arch -3 --dataset cifar10
# Names and missing arguments.
expect_error "space 'nats': expected tss or sss" -- arch --space nats --index 0
expect_error "dataset 'imagenet': expected one of" -- cost --space tss --index 0 --dataset imagenet
expect_error "--dataset is required" -- cost --space tss --index 0
expect_error "--space is required" -- arch --index 0
expect_error "expected one of --index N, --arch STR or --list" -- arch --space tss
expect_error "expected --index N or --arch STR" -- cost --space tss --dataset cifar10
expect_error "excludes" -- arch --space tss --index 1 --list
expect_error "device 'gpu': expected cpu, cuda or cuda:N" -- cost --space tss --index 0 --dataset cifar10 --latency --device gpu
expect_error "--seed" -- weights --space tss --index 0 --dataset cifar10 --seed -5 --out /tmp/natsbench-never-written.pt
expect_error "A subcommand is required" --
expect_error "unknown command 'frobnicate': expected one of arch, cost, weights" -- frobnicate

# An output path that cannot be written: one line, exit 2 (a bad argument), nothing left behind.
dir=$(mktemp -d)
chmod 500 "$dir"
if [ "$(id -u)" != 0 ]; then
  "$natsbench" weights --space tss --index 0 --dataset cifar10 --seed 1 --out "$dir/w.pt" >/dev/null 2>"$dir.err"
  status=$?
  if [ "$status" -ne 2 ] || [ "$(wc -l <"$dir.err")" -ne 1 ]; then echo "FAIL: unwritable --out -> $status"; failures=$((failures + 1)); fi
fi
"$natsbench" weights --space tss --index 0 --dataset cifar10 --seed 1 --out "$dir/missing/w.pt" >/dev/null 2>"$dir.err"
status=$?
if [ "$status" -ne 2 ] || [ "$(wc -l <"$dir.err")" -ne 1 ] || ! grep -qF -- "--out $dir/missing/w.pt: no directory" "$dir.err"; then
  echo "FAIL: --out in a missing directory -> status $status"; cat "$dir.err"; failures=$((failures + 1))
fi
chmod 700 "$dir"; rm -rf "$dir" "$dir.err"

if [ "$failures" -ne 0 ]; then echo "$failures bad-input check(s) failed"; exit 1; fi
echo "all bad-input checks passed"
