# Shared by the CLI tests (sourced): counting failures and checking one-line errors. The sourcing
# script sets $natsbench (the binary) and $tmp (a scratch directory).
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect_error <status> <words in the message> -- <args...>: natsbench exits with <status>, prints
# exactly one line on stderr containing the words, and nothing on stdout.
expect_error() {
  local want="$1" needle="$2"; shift 2; [ "$1" = "--" ] && shift
  local out="$tmp/out" err="$tmp/err" status
  "$natsbench" "$@" >"$out" 2>"$err"; status=$?
  local lines; lines=$(wc -l <"$err")
  if [ "$status" -ne "$want" ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$needle" "$err" || [ -s "$out" ]; then
    fail "natsbench $* -> status $status, $lines stderr line(s), expected $want / 1 line with '$needle'"
    sed 's/^/    stderr: /' "$err"
  fi
}

# finish <what>: the exit status of the test.
finish() {
  if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
  fi
  echo "$1: all checks passed"
}
