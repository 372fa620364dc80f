#!/usr/bin/env bash
# GPU speed check in one device call (issue 7): natsbench's training speed against the reference
# training loop, side by side on the same GPU, plus natsbench's GPU equivalence tests.
#
#   1. env        device, driver, toolchain and torch of the machine
#   2. reference  scripts/bench/reference_loop.py: the original's loop (per-image transforms in 4
#                 DataLoader workers, .item() per batch, deterministic cuDNN), synthetic data
#   3. build      scripts/build-cuda.sh against the device's pip torch, only natsbench and the
#                 torch test binary, dependencies from .deps/device (scripts/prepare-device-deps.sh)
#   4. natsbench  bench train: plain (--no-graph), --graph, --fast, eager (--step plain
#                 --no-graph, when the flag exists), --concurrent 2/4/8, sampling GPU
#                 utilisation with nvidia-smi while each runs
#   5. gpu-test   the torch test binary's GPU tests (Catch2 tag [gpu])
#   5b. sweep     natsbench sweep on fake data: 3 seeds of the arch with CUDA graphs and
#                 --concurrent 3, then one at a time with --no-graph; records compared
#                 (scripts/bench/compare_runs.py --rtol SWEEP_RTOL, default 1e-3)
#   6. optional   reference with torchvision transforms, nsys kernel summary (if nsys exists)
# Every step has a time limit and the whole script a budget; bench-gpu.json is rewritten after
# each step, so a cut-off run still returns what it measured.
#
# Output ($OUT, else ./bench-gpu-out): bench-gpu.json (device, versions, baseline, every natsbench
# run, ratios natsbench/reference and concurrent/single, target checks >= 10x and >= 3x) and
# bench-gpu.log (everything printed); the build log too when the build fails.
#
# Device call (see README "GPU benchmark"): first, here, scripts/prepare-device-deps.sh, then
#   run(command="bash scripts/bench-gpu.sh", carry=[".deps/device", ".deps/python"], timeout_s=600)
# A second call on the still-warm machine reuses build-cuda/ there (an incremental no-op build).
#
# Settings (environment):
#   BENCH_BUDGET_S      seconds for the whole script (default 480); steps that no longer fit are
#                       skipped, essential ones keep a reserve
#   BENCH_SKIP_BUILD=1  use build-cuda/natsbench as it is (no build step)
#   BENCH_ARCH          tss candidate (default 11), BENCH_DATASET (default cifar10-valid)
#   BENCH_STEPS, BENCH_WARMUP          natsbench timed / warm-up steps (default 200 / 20)
#   REF_STEPS, REF_WARMUP, REF_WORKERS reference loop (default 60 / 10 / 4)
#   REF_PROFILE_STEPS   steps the reference then runs under torch.profiler (default 5; 0: none)
#   BENCH_CONCURRENT    the --concurrent values (default "2 4 8")
#   SWEEP_BATCHES       --max-batches of the two sweeps of step 5b (default 40)
#   BENCH_GPU_TEST_TAGS Catch2 test spec of the GPU tests (default "[gpu]")
#   BENCH_TEST_BINARY   test target / binary name (default natsbench_torch_tests)
#   BENCH_JOBS          compile jobs (default: all CPUs)
#   PYTHON              the python with the CUDA torch (default python3)
#   BENCH_DEVICE        cuda (default); cpu only to try this script's logic on a machine
#                       without a GPU (with BENCH_SKIP_BUILD=1 and tiny step counts)
#
# Build or carry? (sizes measured here 2026-11-28) .deps/device is 6.3 MiB and build-cuda/ ~730
# MiB (cannot be carried: 64 MiB limit). The two binaries are 3 MiB each and could be carried
# (scripts/prepare-device-deps.sh --prebuilt -> .deps/device-bin), but they only load with the
# exact Torch they were built against: this machine's build-cuda/ uses pip torch 2.15.0+cu132,
# the device image 2.11.0+cu130 (KINDS.md). Recommended: build on the device (16 cores, ninja,
# two targets; an estimated 2-3 minutes). A carried .deps/device-bin is used instead when its
# torch-version file equals the device's torch version.
set -Eeuo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${OUT:-$root/bench-gpu-out}"
mkdir -p "$out"
log="$out/bench-gpu.log"
report_json="$out/bench-gpu.json"
: >"$log"
exec > >(tee -a "$log") 2>&1
tee_pid=$!

budget="${BENCH_BUDGET_S:-480}"
arch="${BENCH_ARCH:-11}"
dataset="${BENCH_DATASET:-cifar10-valid}"
steps="${BENCH_STEPS:-200}"
warmup="${BENCH_WARMUP:-20}"
ref_steps="${REF_STEPS:-60}"
ref_warmup="${REF_WARMUP:-10}"
ref_workers="${REF_WORKERS:-4}"
ref_profile="${REF_PROFILE_STEPS:-5}"
concurrency="${BENCH_CONCURRENT:-2 4 8}"
test_tags="${BENCH_GPU_TEST_TAGS:-[gpu]}"
test_target="${BENCH_TEST_BINARY:-natsbench_torch_tests}"
py="${PYTHON:-python3}"
device="${BENCH_DEVICE:-cuda}"
jobs="${BENCH_JOBS:-$(nproc)}"
min_step=15   # a step is not started with less time than this
export PYTHONUNBUFFERED=1

t0=$SECONDS
work="$(mktemp -d "${TMPDIR:-/tmp}/bench-gpu.XXXXXX")"
parts="$work/parts"
mkdir -p "$parts"
report_py="$root/scripts/bench/gpu_report.py"
sampler_pid=""

say() { printf '[bench-gpu %3ds] %s\n' "$((SECONDS - t0))" "$*"; }
left() { echo $((budget - (SECONDS - t0))); }
write_report() { "$py" "$report_py" report "$parts" "$report_json" "$@" || say "warning: could not write $report_json"; }

finish() {
  local rc=$?
  trap - ERR EXIT
  stop_sampler
  write_report --summary
  say "done in $((SECONDS - t0)) s (budget ${budget} s): $report_json"
  rm -rf "$work"
  exec 1>&- 2>&-
  wait "$tee_pid" 2>/dev/null || true
  exit "$rc"
}
trap finish EXIT
trap 'say "error: unexpected failure at line $LINENO: $BASH_COMMAND"' ERR

# record NAME KIND STATUS NOTE: a step that did not run (skipped, absent, reused, ...).
record() {
  "$py" "$report_py" step "$parts" "$1" "$2" --status "$3" --note "$4"
  say "$1: $3 ($4)"
  write_report
}

start_sampler() {
  sampler_pid=""
  command -v nvidia-smi >/dev/null 2>&1 || return 0
  nvidia-smi --query-gpu=utilization.gpu,clocks.sm,power.draw,memory.used \
    --format=csv,noheader,nounits -lms 200 >"$1" 2>/dev/null &
  sampler_pid=$!
}
stop_sampler() {
  if [ -n "$sampler_pid" ]; then
    kill "$sampler_pid" 2>/dev/null || true
    wait "$sampler_pid" 2>/dev/null || true
    sampler_pid=""
  fi
}

# run_step NAME KIND CAP RESERVE [--sample] [--meta JSON] -- CMD...: runs CMD under a time limit
# of CAP seconds, or less so that RESERVE seconds of the budget stay for later steps.
run_step() {
  local name="$1" kind="$2" cap="$3" reserve="$4"
  shift 4
  local sample=0 meta="{}"
  while [ "$1" != "--" ]; do
    case "$1" in
      --sample) sample=1; shift ;;
      --meta) meta="$2"; shift 2 ;;
      *) say "internal error: run_step $1"; return 1 ;;
    esac
  done
  shift
  local limit
  limit=$(($(left) - reserve))
  [ "$limit" -le "$cap" ] || limit="$cap"
  if [ "$limit" -lt "$min_step" ]; then
    record "$name" "$kind" skipped "budget: ${limit}s left for it (needs >= ${min_step}s)"
    return 0
  fi
  say "$name: $* (limit ${limit}s)"
  local stdout="$work/$name.out" stderr="$work/$name.err" util="$work/$name.util"
  [ "$sample" -eq 0 ] || start_sampler "$util"
  local start="$EPOCHREALTIME" rc=0
  timeout -k 10 "$limit" "$@" 2>"$stderr" | tee "$stdout" || rc=${PIPESTATUS[0]}
  local seconds
  seconds="$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b-a}')"
  stop_sampler
  if [ -s "$stderr" ]; then
    echo "----- $name: stderr (last 40 lines) -----"
    tail -n 40 "$stderr"
    echo "-----"
  fi
  "$py" "$report_py" step "$parts" "$name" "$kind" --rc "$rc" --seconds "$seconds" \
    --limit "$limit" --stdout "$stdout" --stderr "$stderr" --util "$util" --meta "$meta" -- "$@"
  say "$name: exit $rc after ${seconds}s"
  write_report
  return 0
}

say "budget ${budget}s; output in $out; repository $root"
# The device's cmake and ninja may live beside its python (a virtualenv's bin/).
py_path="$(command -v "$py" || true)"
if [ -n "$py_path" ] && { ! command -v cmake >/dev/null || ! command -v ninja >/dev/null; }; then
  PATH="$(dirname "$py_path"):$PATH"
  export PATH
fi

# --- 1. The machine ---------------------------------------------------------------------------
run_step env env 60 0 -- "$py" "$report_py" env
torch_prefix="$("$py" -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)"
torch_version="$("$py" -c 'import torch; print(torch.__version__)' 2>/dev/null || true)"
torch_root="${torch_prefix%/share/cmake}"
[ -n "$torch_version" ] || say "warning: $py cannot import torch: the reference and the build will fail"
if ! { command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L; }; then say "warning: nvidia-smi lists no GPU"; fi

# --- 2. The reference loop (before the build, so the build cannot disturb it) ------------------
ref_args=(--device "$device" --space tss --arch "$arch" --dataset "$dataset" --steps "$ref_steps"
          --warmup "$ref_warmup" --workers "$ref_workers")
run_step reference reference 120 $((budget * 6 / 10)) --sample -- \
  "$py" scripts/bench/reference_loop.py "${ref_args[@]}" --profile-steps "$ref_profile"

# --- 3. Build (or reuse) natsbench --------------------------------------------------------------
deps="$root/.deps/device/usr"
if [ ! -d "$deps" ]; then
  say "warning: no .deps/device: run scripts/prepare-device-deps.sh on the dev machine and carry .deps/device"
fi
nb_ldpath="$deps/lib/x86_64-linux-gnu${torch_root:+:$torch_root/lib}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
nb_bin="$root/build-cuda/natsbench"
test_bin="$root/build-cuda/tests/$test_target"
prebuilt="$root/.deps/device-bin"
if [ "${BENCH_SKIP_BUILD:-0}" = 1 ] && [ -x "$nb_bin" ]; then
  record build build reused "BENCH_SKIP_BUILD=1: build-cuda/natsbench as it is"
elif [ -x "$prebuilt/natsbench" ] && [ -f "$prebuilt/torch-version" ] \
    && [ "$(cat "$prebuilt/torch-version")" = "${torch_version%%+*}" ]; then
  nb_bin="$prebuilt/natsbench"
  test_bin="$prebuilt/$test_target"
  record build build prebuilt "carried .deps/device-bin built against torch ${torch_version%%+*}"
else
  if [ -x "$prebuilt/natsbench" ]; then
    say "build: .deps/device-bin was built against torch $(cat "$prebuilt/torch-version" 2>/dev/null || echo '?'), the device has ${torch_version:-none}: building"
  fi
  nvcc_path="$(command -v nvcc || true)"
  cuda_home="${CUDA_HOME:-${nvcc_path:+$(dirname "$(dirname "$nvcc_path")")}}"
  run_step build build 330 100 -- env TORCH_CMAKE_PREFIX="$torch_root" \
    NATSBENCH_PREFIX_PATH="$deps" NATSBENCH_TARGETS="natsbench natsbench-torch $test_target" \
    NATSBENCH_JOBS="$jobs" CMAKE_POLICY_VERSION_MINIMUM=3.5 CUDA_HOME="${cuda_home:-/usr/local/cuda}" LD_LIBRARY_PATH="$nb_ldpath" \
    bash scripts/build-cuda.sh
  if [ ! -x "$nb_bin" ] && [ -f build-cuda/build-cuda-build.log ]; then
    cp build-cuda/build-cuda-build.log "$out/" || true
  fi
  if [ ! -x "$nb_bin" ] && [ -f build-cuda/build-cuda-configure.log ]; then
    cp build-cuda/build-cuda-configure.log "$out/" || true
  fi
fi
nb() { env LD_LIBRARY_PATH="$nb_ldpath" "$nb_bin" "$@"; }

# --- 4. natsbench runs ------------------------------------------------------------------------
if [ ! -x "$nb_bin" ]; then
  record natsbench-plain natsbench failed "no natsbench binary (the build failed or was cut off)"
else
  run_step natsbench-cost info 20 80 -- env LD_LIBRARY_PATH="$nb_ldpath" "$nb_bin" \
    cost --space tss --arch "$arch" --dataset "$dataset"
  help="$(nb bench train --help 2>&1 || true)"
  has() { grep -qE -- "(^|[ ,])$1([ ,={[]|$)" <<<"$help"; }
  common=(bench train --space tss --arch "$arch" --dataset "$dataset" --device "$device")
  if has --steps; then common+=(--steps "$steps"); else common+=(--batches "$steps"); fi
  if has --warmup; then common+=(--warmup "$warmup"); fi
  say "bench train flags: $(grep -oE -- '--[a-z-]+' <<<"$help" | sort -u | tr '\n' ' ')"

  plain=()
  if has --no-graph; then plain=(--no-graph); fi
  run_step natsbench-plain natsbench 60 60 --sample --meta '{"mode":"deterministic, no CUDA graph"}' \
    -- env LD_LIBRARY_PATH="$nb_ldpath" "$nb_bin" "${common[@]}" "${plain[@]}"
  if has --graph; then
    run_step natsbench-graph natsbench 60 40 --sample --meta '{"mode":"deterministic, CUDA graph"}' \
      -- env LD_LIBRARY_PATH="$nb_ldpath" "$nb_bin" "${common[@]}" --graph
  else
    record natsbench-graph natsbench absent "bench train has no --graph flag"
  fi
  run_step natsbench-fast natsbench 45 30 --sample --meta '{"mode":"--fast (cuDNN autotuning), default graph setting"}' \
    -- env LD_LIBRARY_PATH="$nb_ldpath" "$nb_bin" "${common[@]}" --fast
  if has --step; then  # the eager step of torch::optim::SGD, for what the graph-safe step buys
    run_step natsbench-eager natsbench 45 25 --sample --meta '{"mode":"deterministic, --step plain, no CUDA graph"}' \
      -- env LD_LIBRARY_PATH="$nb_ldpath" "$nb_bin" "${common[@]}" --step plain --no-graph
  fi
  for m in $concurrency; do
    if has --concurrent; then
      run_step "natsbench-concurrent$m" natsbench 45 15 --sample \
        --meta "{\"mode\":\"deterministic, default graph setting\",\"concurrent\":$m}" \
        -- env LD_LIBRARY_PATH="$nb_ldpath" "$nb_bin" "${common[@]}" --concurrent "$m"
    else
      record "natsbench-concurrent$m" natsbench absent "bench train has no --concurrent flag"
    fi
  done
fi

# --- 5. GPU equivalence tests ------------------------------------------------------------------
if [ ! -x "$test_bin" ]; then
  record gpu-test test absent "no test binary $test_bin"
else
  listed="$(env LD_LIBRARY_PATH="$nb_ldpath" "$test_bin" --list-test-names-only "$test_tags" 2>/dev/null || true)"
  if [ -z "$(tr -d '[:space:]' <<<"$listed")" ]; then
    record gpu-test test absent "no test case matches $test_tags in $(basename "$test_bin") (not written yet?)"
  else
    say "gpu-test: $(grep -c . <<<"$listed") test cases match $test_tags"
    run_step gpu-test test 150 0 -- env LD_LIBRARY_PATH="$nb_ldpath" "$test_bin" "$test_tags" --durations yes
  fi
fi

# --- 5b. End to end: natsbench sweep, three seeds at once with graphs vs one at a time eagerly ---
# The path a re-creation takes (RunDriver: records, checkpoints, evaluation), on fake data of the
# benchmark's size; the records of the two must agree within SWEEP_RTOL.
sweep_batches="${SWEEP_BATCHES:-40}"
if [ -x "$nb_bin" ] && nb sweep --help 2>&1 | grep -q -- --concurrent; then
  fake="$work/fake"
  run_step fake-data info 30 60 -- env LD_LIBRARY_PATH="$nb_ldpath" "$nb_bin" make-fake-data \
    --root "$fake" --dataset cifar10 --train 50000 --test 10000 --seed 1
  sweep_args=(sweep --space tss --range "$arch" --hp 01 --seeds 777,888,999 --datasets "$dataset"
              --data-root "$fake" --device "$device" --max-batches "$sweep_batches")
  run_step sweep-graph-concurrent3 sweep 60 40 --sample \
    --meta "{\"mode\":\"sweep, CUDA graphs, --concurrent 3\",\"max_batches\":$sweep_batches}" \
    -- env LD_LIBRARY_PATH="$nb_ldpath" "$nb_bin" "${sweep_args[@]}" --concurrent 3 --out "$work/sweep-c3"
  run_step sweep-eager-serial sweep 60 25 --sample \
    --meta "{\"mode\":\"sweep, --no-graph, one run at a time\",\"max_batches\":$sweep_batches}" \
    -- env LD_LIBRARY_PATH="$nb_ldpath" "$nb_bin" "${sweep_args[@]}" --no-graph --out "$work/sweep-e1"
  run_step sweep-compare check 20 15 -- "$py" scripts/bench/compare_runs.py "$work/sweep-c3" \
    "$work/sweep-e1" --rtol "${SWEEP_RTOL:-1e-3}"
else
  record sweep-graph-concurrent3 sweep absent "no natsbench binary, or its sweep has no --concurrent"
fi

# --- 6. Optional: the original's torchvision transforms, an nsys kernel summary -----------------
if "$py" -c 'import torchvision, PIL' >/dev/null 2>&1; then
  run_step reference-torchvision reference 90 0 --sample -- \
    "$py" scripts/bench/reference_loop.py "${ref_args[@]}" --transforms torchvision
else
  record reference-torchvision reference absent "torchvision or Pillow missing"
fi
if command -v nsys >/dev/null 2>&1 && [ -x "$nb_bin" ]; then
  rep="$work/nsys-plain"
  run_step nsys-profile profile 90 0 -- nsys profile --trace=cuda --sample=none --cpuctxsw=none \
    --cuda-graph-trace=node --force-overwrite=true -o "$rep" \
    env LD_LIBRARY_PATH="$nb_ldpath" "$nb_bin" "${common[@]}" "${plain[@]}"
  if [ -f "$rep.nsys-rep" ]; then
    run_step nsys-stats profile 60 0 -- nsys stats --report cuda_gpu_kern_sum --format csv \
      --force-export=true --output "$out/nsys-plain" "$rep.nsys-rep"
  fi
else
  record nsys-profile profile absent "nsys is not on the PATH (kernels per step: see the reference's torch.profiler figures)"
fi
