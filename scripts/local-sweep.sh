#!/usr/bin/env bash
# Runs a natsbench sweep on this machine with one worker per visible GPU (worker i: shard i/N on
# cuda:i), or N CPU workers where there is no GPU, all sharing one --out.
#   scripts/local-sweep.sh [OPTIONS] SWEEP-OPTIONS...
#     e.g. scripts/local-sweep.sh --space sss --range 0-999 --hp 90 --data-root D --out runs
# Options of this script (the rest goes to every `natsbench sweep` as it is):
#   --workers N     CPU workers when there is no GPU (default 1); each gets nproc/N threads
#   --cpu           use CPU workers even where GPUs are visible
#   --natsbench P   the natsbench binary (default: $NATSBENCH, else natsbench on PATH, else
#                   build/natsbench of this checkout)
#   --log-dir D     one log per worker, D/worker-<i>.log (default: ./local-sweep-logs)
# GPUs: the entries of CUDA_VISIBLE_DEVICES when it is set, else `nvidia-smi -L`.
# SIGTERM/SIGINT (Ctrl-C) stop every worker at its next step with a checkpoint; the script then
# exits 75 and running it again resumes. Exit 1 when a worker failed, 0 when all finished.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { echo "local-sweep: $*" >&2; }
die() { say "error: $*"; exit 1; }

workers=1
force_cpu=0
natsbench="${NATSBENCH:-}"
log_dir="$PWD/local-sweep-logs"
sweep_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) [ $# -ge 2 ] || die "--workers needs a value"; workers="$2"; shift 2 ;;
    --workers=*) workers="${1#*=}"; shift ;;
    --cpu) force_cpu=1; shift ;;
    --natsbench) [ $# -ge 2 ] || die "--natsbench needs a value"; natsbench="$2"; shift 2 ;;
    --natsbench=*) natsbench="${1#*=}"; shift ;;
    --log-dir) [ $# -ge 2 ] || die "--log-dir needs a value"; log_dir="$2"; shift 2 ;;
    --log-dir=*) log_dir="${1#*=}"; shift ;;
    --shard|--shard=*|--device|--device=*|--threads|--threads=*)
      die "$1 is set per worker by this script; leave it out" ;;
    -h|--help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) sweep_args+=("$1"); shift ;;
  esac
done
[[ "$workers" =~ ^[1-9][0-9]*$ ]] || die "--workers must be a positive integer, not '$workers'"
if [ -z "$natsbench" ]; then
  if command -v natsbench >/dev/null 2>&1; then natsbench=natsbench
  elif [ -x "$root/build/natsbench" ]; then natsbench="$root/build/natsbench"
  else die "no natsbench on PATH nor in $root/build: use --natsbench"; fi
fi

gpus=0
if [ "$force_cpu" -eq 0 ]; then
  if [ -n "${CUDA_VISIBLE_DEVICES+set}" ]; then
    # Set but empty, -1 or NoDevFiles (Slurm without a GPU) all mean: no GPU for us.
    if [ -n "$CUDA_VISIBLE_DEVICES" ] && [ "$CUDA_VISIBLE_DEVICES" != NoDevFiles ] &&
       [[ "$CUDA_VISIBLE_DEVICES" != -* ]]; then
      IFS=, read -r -a visible <<<"$CUDA_VISIBLE_DEVICES"
      gpus=${#visible[@]}
    fi
  elif command -v nvidia-smi >/dev/null 2>&1; then
    gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ') || gpus=0
  fi
fi
if [ "$gpus" -gt 0 ]; then
  n=$gpus
  threads=$(( $(nproc) / n )); [ "$threads" -ge 1 ] || threads=1
  say "$n GPU worker(s), $threads CPU thread(s) each"
else
  n=$workers
  threads=$(( $(nproc) / n )); [ "$threads" -ge 1 ] || threads=1
  say "no GPU in use: $n CPU worker(s), $threads thread(s) each"
fi
mkdir -p "$log_dir" || die "cannot create $log_dir"

# natsbench stops gracefully on its first SIGTERM/SIGINT and dies on a second. Ctrl-C reaches
# the workers directly (same process group) while `kill <this script>` does not: forward only
# to a worker that still handles both signals, i.e. has not had one (its handler resets itself
# to the default action when it fires, clearing the signal's bit in SigCgt).
# shellcheck disable=SC2317  # called from the trap
catches_stop_signals() {  # catches_stop_signals <pid>
  local cgt
  cgt=$(awk '/^SigCgt:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
  [ -n "$cgt" ] && (( (16#$cgt & 0x4002) == 0x4002 ))
}
pids=()
trapped=0
stop_signal=""
# shellcheck disable=SC2317  # called from the trap
on_signal() {
  trapped=1
  stop_signal="$1"
  say "got SIG$1: stopping the workers at their next step (checkpoints are written)"
  sleep 0.5
  local pid
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null && catches_stop_signals "$pid"; then
      kill -s "$1" "$pid" 2>/dev/null || true
    fi
  done
}
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT

for ((i = 0; i < n; i++)); do
  if [ "$gpus" -gt 0 ]; then device="cuda:$i"; else device=cpu; fi
  cmd=("$natsbench" sweep "${sweep_args[@]}" --shard "$i/$n" --device "$device" --threads "$threads")
  log="$log_dir/worker-$i.log"
  echo "# $(date -u +%FT%TZ) ${cmd[*]}" >>"$log"
  "${cmd[@]}" >>"$log" 2>&1 &
  pids+=($!)
  say "worker $i: shard $i/$n on $device (pid $!, log $log)"
done

# A wait interrupted by a trapped signal returns > 128 even when the worker has ended meanwhile:
# wait again for its own status (127: it was already collected).
statuses=()
for ((i = 0; i < n; i++)); do
  status=""
  while :; do
    trapped=0
    wait "${pids[$i]}"
    s=$?
    [ "$s" -eq 127 ] && [ -n "$status" ] && break
    status=$s
    if [ "$trapped" -eq 0 ] || [ "$status" -le 128 ]; then break; fi
  done
  statuses+=("$status")
done

interrupted=0 failed=0
for ((i = 0; i < n; i++)); do
  case "${statuses[$i]}" in
    0) ;;
    75) interrupted=$((interrupted + 1)) ;;
    *) failed=$((failed + 1)); say "worker $i failed with status ${statuses[$i]} (see $log_dir/worker-$i.log)" ;;
  esac
done
say "workers' exit statuses: ${statuses[*]}${stop_signal:+ (after SIG$stop_signal)}"
if [ "$interrupted" -gt 0 ]; then
  say "$interrupted worker(s) interrupted: run the same command again to resume"
  exit 75
fi
[ "$failed" -eq 0 ] || exit 1
out=""
for ((i = 0; i < ${#sweep_args[@]}; i++)); do
  case "${sweep_args[$i]}" in
    --out) out="${sweep_args[$((i + 1))]:-}" ;;
    --out=*) out="${sweep_args[$i]#*=}" ;;
  esac
done
[ -z "$out" ] || say "done: $("$natsbench" sweep --status --out "$out" 2>/dev/null)"
exit 0
