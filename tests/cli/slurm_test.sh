#!/usr/bin/env bash
# scripts/slurm/*.sbatch on a real Slurm: a private one-node cluster (munged, slurmctld,
# slurmd) on this machine, torn down at the end whatever happens.
#   1. A CPU job array of 2 shards sweeps a few sss candidates on fake data, then the collect
#      job (afterok on the array) writes the benchmark, which natsbench query answers.
#   2. SIGTERM to running array tasks, once to the batch shell only (as --signal=B: does before a
#      time limit) and once to every process of the task (as preemption and scancel --full do):
#      each task checkpoints, requeues itself, resumes from its checkpoint and completes.
# Exit 77 (skipped) when there is no Slurm/munge to run or we are not root.
# Usage: slurm_test.sh <natsbench binary>
set -u
[ $# -eq 1 ] || { echo "usage: $0 <natsbench binary>" >&2; exit 2; }
natsbench="$(realpath "$1")"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
sweep_script="$root/scripts/slurm/sweep.sbatch"
collect_script="$root/scripts/slurm/collect.sbatch"
export PATH="$PATH:/usr/sbin:/sbin"
py=/usr/bin/python3
t0=$SECONDS

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "starting a private Slurm cluster needs root (slurmd, munged as user munge)"
for tool in munged slurmctld slurmd sbatch squeue scontrol scancel sinfo setpriv; do
  command -v "$tool" >/dev/null 2>&1 ||
    skip "no $tool: install slurm-wlm and munge (scripts/setup.sh does, where apt can)"
done
id munge >/dev/null 2>&1 || skip "no user munge (the munge package creates it)"

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
say() { echo "slurm_test [$((SECONDS - t0)) s]: $*"; }

# mktemp's 0700 would keep munged (user munge) out of its own directory below.
tmp=$(mktemp -d /tmp/natsbench-slurm.XXXXXX)
chmod 755 "$tmp"
pids=()
stop_cluster() {
  local pid
  if [ -n "${SLURM_CONF:-}" ]; then
    scancel --full --signal=KILL --state=RUNNING --user=root >/dev/null 2>&1
    scancel --user=root >/dev/null 2>&1
  fi
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  # Job scripts and their natsbench children are not our children, and a slurmstepd may outlive
  # slurmd: end whatever still carries this cluster's SLURM_CONF (not us: unexported first).
  export -n SLURM_CONF
  for pid in $(grep -lsF "SLURM_CONF=$tmp/slurm.conf" /proc/[0-9]*/environ | cut -d/ -f3); do
    [ "$pid" != $$ ] && kill -KILL "$pid" 2>/dev/null
  done
  if [ "$failures" -ne 0 ] || [ -n "${KEEP_SLURM_TEST_DIR:-}" ]; then
    echo "slurm_test: logs kept in $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap stop_cluster EXIT
trap 'exit 1' INT TERM

# --- The cluster ------------------------------------------------------------------------------
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool" "$tmp/log" "$tmp/jobs"
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chown -R munge: "$tmp/munge"
chmod 700 "$tmp/munge"
chmod 400 "$tmp/munge/munge.key"
socket="$tmp/munge/munge.socket"
setpriv --reuid=munge --regid=munge --init-groups munged --foreground --force \
  --key-file="$tmp/munge/munge.key" --socket="$socket" --pid-file="$tmp/munge/munged.pid" \
  --log-file="$tmp/munge/munged.log" --seed-file="$tmp/munge/munged.seed" \
  >"$tmp/log/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || skip "munged did not start: $(tail -n 1 "$tmp/log/munged.out" "$tmp/munge/munged.log" 2>/dev/null | tr '\n' ' ')"

node=$(hostname -s)
cpus=$(nproc)
mem_mb=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
mem_mb=$(( ${mem_mb:-2048} * 9 / 10 ))
port=$((20000 + RANDOM % 20000))
cat >"$tmp/slurm.conf" <<EOF
ClusterName=natsbench-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=2
ReturnToService=2
SlurmctldTimeout=10
SlurmdTimeout=10
InactiveLimit=0
KillWait=10
MinJobAge=600
Waittime=0
MessageTimeout=5
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$tmp/slurm.conf"
slurmctld -D -i -f "$SLURM_CONF" >"$tmp/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$tmp/log/slurmd.out" 2>&1 &
pids+=($!)
state=""
for _ in $(seq 1 60); do
  state=$(sinfo -h -n "$node" -o %T 2>/dev/null)
  [ "$state" = idle ] && break
  sleep 0.5
done
if [ "$state" != idle ]; then
  tail -n 5 "$tmp/log/slurmctld.log" "$tmp/log/slurmd.log" "$tmp/log/"*.out 2>/dev/null
  skip "the private Slurm cluster did not come up (node state '${state:-none}'; logs above)"
fi
say "cluster up: node $node, $cpus CPUs, Slurm $(sinfo --version | awk '{print $2}')"

# --- Helpers ------------------------------------------------------------------------------------
job_field() {  # job_field <job id> <field>: from scontrol show job (first array element shown)
  scontrol -o show job "$1" 2>/dev/null | head -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}
job_states() {  # job_states <job id>: "<id> <state>" for the job or every element of an array
  squeue -h -t all -j "$1" -o '%i %T' 2>/dev/null
}
# wait_jobs <seconds> <job id>...: until none of them is pending, running, requeued or completing.
declare -A nudged=()
wait_jobs() {
  local limit=$1; shift
  local end=$((SECONDS + limit)) live
  while [ "$SECONDS" -lt "$end" ]; do
    live=$(for j in "$@"; do job_states "$j"; done |
           grep -cE ' (PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUED|REQUEUE_HOLD|REQUEUE_FED|SUSPENDED|RESIZING|SIGNALING|STAGE_OUT)$')
    [ "$live" -eq 0 ] && return 0
    # Slurm holds a requeued task back (BeginTime ~2 min later, which would take this test to
    # ~160 s): bring it forward, once per task, but not to "now": slurmd refuses to relaunch a
    # job within the second its previous credential was revoked ("Job credential revoked").
    for j in "$@"; do
      for id in $(squeue -h -t PD -j "$j" -o '%i %r' 2>/dev/null | awk '$2 == "BeginTime" {print $1}'); do
        [ -n "${nudged[$id]:-}" ] && continue
        nudged[$id]=1
        scontrol update JobId="$id" StartTime=now+3 >/dev/null 2>&1
      done
    done
    sleep 1
  done
  return 1
}
show_logs() {
  for f in "$@"; do [ -f "$f" ] && sed "s|^|    $(basename "$f"): |" "$f" | tail -n 40; done
}
records_with() {  # records_with <dir> <python condition on the record r>: count
  $py - "$1" "$2" <<'PY'
import json, pathlib, sys
n = 0
for p in pathlib.Path(sys.argv[1]).rglob("seed-*.json"):
    r = json.load(open(p))
    n += bool(eval(sys.argv[2]))
print(n)
PY
}

"$natsbench" make-fake-data --root "$tmp/data" --dataset cifar10 --train 512 --test 128 --seed 5 \
  >/dev/null || fail "make-fake-data"
cd "$tmp/jobs" || exit 1
common=(--parsable --gres=none --cpus-per-task=1 --time=10:00)
export NATSBENCH="$natsbench" SPACE=sss SEEDS=777 DATASETS=cifar10 DATA_ROOT="$tmp/data" THREADS=1

# --- 1. Sweep array + collect -------------------------------------------------------------------
array=$(OUT="$tmp/runs" RANGE=0-3 HP=01 MAX_BATCHES=2 \
        sbatch "${common[@]}" --array=0-1 --output="$tmp/jobs/sweep-%A_%a.out" "$sweep_script") ||
  { fail "sbatch sweep.sbatch"; exit 1; }
array=${array%%;*}
collect=$(RUNS="$tmp/runs" BENCH_OUT="$tmp/bench" HP=01 \
          sbatch "${common[@]}" --dependency=afterok:"$array" --output="$tmp/jobs/collect-%j.out" \
          "$collect_script") || { fail "sbatch collect.sbatch"; exit 1; }
say "submitted sweep array $array (2 tasks) and collect job $collect (afterok)"
if ! wait_jobs 150 "$array" "$collect"; then
  fail "sweep + collect not done within 150 s: $(job_states "$array" | tr '\n' ' ') $(job_states "$collect")"
fi
say "jobs ended: $(job_states "$array" | tr '\n' ' ')$(job_states "$collect")"
for id in "${array}_0" "${array}_1" "$collect"; do
  [ "$(job_field "$id" JobState)" = COMPLETED ] && [ "$(job_field "$id" ExitCode)" = 0:0 ] ||
    fail "job $id: state $(job_field "$id" JobState), exit code $(job_field "$id" ExitCode)"
done
n=$(records_with "$tmp/runs" 'r["status"] == "complete"')
[ "$n" = 4 ] || fail "expected 4 complete records (4 candidates x 1 seed x 1 dataset), found $n"
grep -q "shard 0/2" "$tmp/jobs/sweep-${array}_0.out" && grep -q "shard 1/2" "$tmp/jobs/sweep-${array}_1.out" ||
  fail "the array tasks did not run shards 0/2 and 1/2"
bench=$(ls "$tmp"/bench/NATS-sss-v1_0-*.pickle.pbz2 2>/dev/null | head -n 1)
if [ -z "$bench" ]; then
  fail "collect wrote no NATS-sss-v1_0-*.pickle.pbz2 in $tmp/bench"
else
  [ -f "$tmp/bench/MANIFEST.sha256" ] || fail "collect wrote no MANIFEST.sha256"
  (cd "$tmp/bench" && sha256sum --quiet -c MANIFEST.sha256) || fail "MANIFEST.sha256 does not match"
  out=$("$natsbench" query --space sss --benchmark "$bench" more --index 2 --dataset cifar10 --hp 01 2>&1) ||
    fail "natsbench query on the collected benchmark: $out"
fi
if [ "$failures" -ne 0 ]; then
  show_logs "$tmp"/jobs/sweep-*.out "$tmp"/jobs/collect-*.out
fi
say "part 1 done"

# --- 2. SIGTERM, requeue, resume ----------------------------------------------------------------
# 12 epochs of a few batches each: ~1 s an epoch, long enough to be caught between checkpoints.
array=$(OUT="$tmp/runs2" RANGE=0-1 HP=12 MAX_BATCHES=3 \
        sbatch "${common[@]}" --array=0-1 --output="$tmp/jobs/term-%A_%a.out" "$sweep_script") ||
  { fail "sbatch sweep.sbatch (signal test)"; exit 1; }
array=${array%%;*}
say "submitted sweep array $array for the signal test"
# Both tasks have written a checkpoint (an epoch done) and neither has finished.
end=$((SECONDS + 60))
while [ "$SECONDS" -lt "$end" ]; do
  ckpts=$(find "$tmp/runs2" -name '*.ckpt' 2>/dev/null | wc -l)
  [ "$ckpts" -ge 2 ] && break
  sleep 0.2
done
if [ "${ckpts:-0}" -lt 2 ]; then
  fail "the two tasks did not both write a checkpoint within 60 s: $(job_states "$array" | tr '\n' ' ')"
else
  # --batch: the batch shell only, as --signal=B:TERM@120 before the time limit.
  # --full: every process of the task at once, as on preemption: the shell must not forward a
  # second SIGTERM (which would kill natsbench without its checkpoint).
  scancel --signal=TERM --batch "${array}_0" || fail "scancel --signal=TERM --batch ${array}_0"
  scancel --signal=TERM --full "${array}_1" || fail "scancel --signal=TERM --full ${array}_1"
  say "sent SIGTERM to ${array}_0 (--batch) and ${array}_1 (--full)"
fi
wait_jobs 150 "$array" || fail "the signal-test array did not end within 150 s: $(job_states "$array" | tr '\n' ' ')"
say "jobs ended: $(job_states "$array" | tr '\n' ' ')"
for id in "${array}_0" "${array}_1"; do
  [ "$(job_field "$id" JobState)" = COMPLETED ] && [ "$(job_field "$id" ExitCode)" = 0:0 ] ||
    fail "job $id: state $(job_field "$id" JobState), exit code $(job_field "$id" ExitCode)"
  restarts=$(job_field "$id" Restarts)
  [ "${restarts:-0}" -ge 1 ] || fail "job $id was not requeued (Restarts=${restarts:-?})"
done
for t in 0 1; do
  f="$tmp/jobs/term-${array}_$t.out"
  grep -q "natsbench exited with status 75" "$f" || fail "task $t: natsbench did not exit 75 on SIGTERM"
  grep -q "requeued ${array}_$t" "$f" || fail "task $t did not requeue itself"
done
grep -q "forwarding SIGTERM" "$tmp/jobs/term-${array}_0.out" ||
  fail "task 0 (--batch): the script did not forward SIGTERM to natsbench"
! grep -q "forwarding SIGTERM" "$tmp/jobs/term-${array}_1.out" ||
  fail "task 1 (--full): the script forwarded a second SIGTERM to natsbench"
n=$(records_with "$tmp/runs2" 'r["status"] == "complete"')
[ "$n" = 2 ] || fail "expected 2 complete records after the requeues, found $n"
n=$(records_with "$tmp/runs2" 'r["status"] == "complete" and len(r["resumes"]) >= 1')
[ "$n" = 2 ] || fail "expected 2 records that resumed from a checkpoint, found $n"
n=$(find "$tmp/runs2" -name '*.ckpt' | wc -l)
[ "$n" = 0 ] || fail "$n checkpoint(s) left after the runs completed"
if [ "$failures" -ne 0 ]; then
  show_logs "$tmp"/jobs/term-*.out
fi
say "part 2 done"

if [ "$failures" -ne 0 ]; then
  echo "slurm_test: $failures failure(s)"
  exit 1
fi
echo "slurm_test: OK in $((SECONDS - t0)) s"
