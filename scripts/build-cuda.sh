#!/usr/bin/env bash
# Builds natsbench against a CUDA LibTorch into build-cuda/ (Release) and smoke-tests the binary
# on the CPU: it needs the CUDA toolkit (nvcc) but no GPU.
#   TORCH_CMAKE_PREFIX   a CUDA LibTorch's cmake prefix (an unzipped official LibTorch, or a
#                        torch's torch.utils.cmake_prefix_path); default: torch==$torch_version
#                        from PyPI in the virtualenv below (created on first use, ~5 GB)
#   NATSBENCH_CUDA_VENV  that virtualenv (default: ~/.cache/natsbench/cuda-torch-venv)
#   CUDA_HOME            CUDA toolkit (default: /usr/local/cuda)
#   TORCH_CUDA_ARCH_LIST GPU architectures for Torch's nvcc flags (default: 9.0, H100); set so
#                        that configuring does not look for a GPU
#   NATSBENCH_JOBS       parallel compile jobs (default: 2)
#   NATSBENCH_PREFIX_PATH more CMake prefixes (';'-separated) searched after Torch's, e.g. the
#                        unpacked dependencies of scripts/prepare-device-deps.sh (.deps/device/usr)
#   NATSBENCH_TARGETS    build only these targets (space-separated; default: all), e.g.
#                        "natsbench natsbench-torch natsbench_torch_tests"
# Logs of each phase: build-cuda/build-cuda-<phase>.log (pip's in the virtualenv).
set -Eeuo pipefail

torch_version=2.15.0   # the PyPI torch this script installs (Linux wheels are CUDA builds)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$root/build-cuda"
venv="${NATSBENCH_CUDA_VENV:-$HOME/.cache/natsbench/cuda-torch-venv}"
cuda_home="${CUDA_HOME:-/usr/local/cuda}"
jobs="${NATSBENCH_JOBS:-2}"

say() { echo "build-cuda: $*"; }
die() { echo "build-cuda: error: $*" >&2; exit 1; }
trap 'die "unexpected failure (line $LINENO: $BASH_COMMAND)"' ERR
# Shows the end of a phase's log, then fails with one line.
fail_log() {
  echo "----- last lines of $1 -----" >&2
  tail -n 25 "$1" >&2 || true
  echo "-----" >&2
  die "$2 (full log: $1)"
}
phase_start() { phase_name="$1"; phase_t0="$EPOCHREALTIME"; }
phase_end() {
  say "$phase_name done in $(awk -v a="$phase_t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}') s"
}
total_t0="$EPOCHREALTIME"

# --- 1. A CUDA LibTorch ------------------------------------------------------------------------
phase_start torch
if [ -n "${TORCH_CMAKE_PREFIX:-}" ]; then
  prefix="${TORCH_CMAKE_PREFIX%/}"
  [ -d "$prefix" ] || die "TORCH_CMAKE_PREFIX=$prefix is not a directory"
  version="$(sed -n 's/^set(PACKAGE_VERSION "\(.*\)")$/\1/p' \
    "${prefix%/share/cmake}/share/cmake/Torch/TorchConfigVersion.cmake" 2>/dev/null || true)"
  torch_desc="LibTorch ${version:-of unknown version} from TORCH_CMAKE_PREFIX"
else
  py="$venv/bin/python"
  pip_log="$venv/build-cuda-pip.log"
  installed=""
  if [ -x "$py" ]; then
    installed="$("$py" -c 'import importlib.metadata as m; print(m.version("torch"))' 2>/dev/null)" \
      || installed=""
  else
    say "creating the virtualenv $venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv" || die "python3 -m venv $venv failed (is python3's venv module installed?)"
  fi
  if [ "${installed%%+*}" != "$torch_version" ]; then
    say "installing torch==$torch_version from PyPI into $venv${installed:+ (replacing $installed)} (~3.5 GB download)"
    "$venv/bin/pip" install --quiet "torch==$torch_version" >"$pip_log" 2>&1 \
      || fail_log "$pip_log" "pip install torch==$torch_version failed"
  fi
  # torch prints a NumPy warning on import when numpy is absent: stderr is dropped.
  info="$("$py" -c 'import torch; print(torch.__version__); print(torch.version.cuda or ""); print(torch.utils.cmake_prefix_path)' 2>/dev/null)" \
    || die "$py cannot import torch: remove $venv and rerun"
  { read -r py_torch; read -r py_cuda; read -r prefix; } <<<"$info"
  [ -n "$py_cuda" ] || die "torch $py_torch in $venv is a CPU-only build (torch.version.cuda is None)"
  torch_desc="pip torch $py_torch, built with CUDA $py_cuda"
fi
# The torch directory itself (holding lib/ and share/), not share/cmake: see CMakeLists.txt
# (Torch's find_library for libc10 would otherwise pick Debian's /usr/lib/.../libc10.so).
case "$prefix" in
  */share/cmake) torch_root="${prefix%/share/cmake}" ;;
  *) torch_root="$prefix" ;;
esac
[ -f "$torch_root/share/cmake/Torch/TorchConfig.cmake" ] \
  || die "no share/cmake/Torch/TorchConfig.cmake under $torch_root"
[ -f "$torch_root/lib/libtorch_cuda.so" ] \
  || die "$torch_root/lib has no libtorch_cuda.so: not a CUDA LibTorch"
if [ -f "$torch_root/build-version" ]; then torch_desc="$torch_desc $(cat "$torch_root/build-version")"; fi
say "using $torch_desc at $torch_root"
[ -x "$cuda_home/bin/nvcc" ] || die "no nvcc at $cuda_home/bin/nvcc (set CUDA_HOME to the CUDA toolkit)"
say "CUDA toolkit: $("$cuda_home/bin/nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p') at $cuda_home"
phase_end

# --- 2. Configure ------------------------------------------------------------------------------
phase_start configure
mkdir -p "$build_dir"
cache="$build_dir/CMakeCache.txt"
if [ -f "$cache" ] && ! grep -qxF "Torch_DIR:PATH=$torch_root/share/cmake/Torch" "$cache"; then
  say "build-cuda/ was configured against another Torch: starting it afresh"
  rm -rf "$build_dir"
  mkdir -p "$build_dir"
fi
configure_log="$build_dir/build-cuda-configure.log"
# Torch's CUDA config warns that it ignores CMAKE_CUDA_ARCHITECTURES (CMake sets a default when
# it enables CUDA) and that kineto is not a separate library in the wheel: both harmless.
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$torch_root${NATSBENCH_PREFIX_PATH:+;$NATSBENCH_PREFIX_PATH}" \
  -DCMAKE_CUDA_COMPILER="$cuda_home/bin/nvcc" -DCUDA_TOOLKIT_ROOT_DIR="$cuda_home" \
  -DTORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}" >"$configure_log" 2>&1 \
  || fail_log "$configure_log" "cmake configure failed"
grep -q "natsbench: Torch .*, CUDA path: ON" "$configure_log" \
  || fail_log "$configure_log" "configured, but natsbench did not see a CUDA Torch"
phase_end

# --- 3. Build ----------------------------------------------------------------------------------
phase_start build
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
build_log="$build_dir/build-cuda-build.log"
targets=()
if [ -n "${NATSBENCH_TARGETS:-}" ]; then
  read -r -a targets <<<"$NATSBENCH_TARGETS"
  targets=(--target "${targets[@]}")
fi
cmake --build "$build_dir" -j "$jobs" "${targets[@]}" >"$build_log" 2>&1 || fail_log "$build_log" "build failed"
bin="$build_dir/natsbench-torch"  # the LibTorch half of the tool (natsbench execs it)
[ -x "$bin" ] || die "the build produced no $bin"
phase_end

# --- 4. Smoke check on the CPU -----------------------------------------------------------------
phase_start smoke
# The binary finds Torch through its RUNPATH (<torch>/lib), and Torch's libraries find the CUDA
# libraries of the wheel through theirs: no LD_LIBRARY_PATH needed.
ldd_out="$(ldd "$bin")" || die "ldd $bin failed"
if grep -q "not found" <<<"$ldd_out"; then
  die "$bin has unresolved libraries: $(grep "not found" <<<"$ldd_out" | awk '{print $1}' | tr '\n' ' ')"
fi
for lib in libtorch_cuda.so libc10_cuda.so libtorch_cpu.so libc10.so; do
  resolved="$(awk -v l="$lib" '$1 == l {print $3}' <<<"$ldd_out")"
  [ -n "$resolved" ] || die "$bin does not load $lib"
  [ "$(realpath "$resolved")" = "$(realpath "$torch_root/lib/$lib")" ] \
    || die "$bin loads $lib from $resolved, not from $torch_root/lib"
done
# Debian's CPU LibTorch 1.13 (headers in /usr/include) must not leak in beside the CUDA one.
if ninja -C "$build_dir" -t deps | grep -qE '^ +/usr/include/(torch|ATen|c10|caffe2)/'; then
  die "the build includes Debian's LibTorch headers from /usr/include (see: ninja -C build-cuda -t deps)"
fi
sum="$("$bin" arch --space tss --list | md5sum | cut -d' ' -f1)" || die "natsbench arch --list failed"
[ "$sum" = 574688268bd9c4b8cf58be69e624cb66 ] || die "arch --space tss --list: md5 $sum, expected 574688268bd9c4b8cf58be69e624cb66"
cost="$("$bin" cost --space tss --index 11 --dataset cifar10)" || die "natsbench cost failed"
grep -q '"flops":113.95137[,}]' <<<"$cost" && grep -q '"params":0.802426[,}]' <<<"$cost" \
  || die "cost --space tss --index 11: expected flops 113.95137 and params 0.802426, got $cost"
cuda_cmd=("$bin" cost --space tss --index 11 --dataset cifar10 --latency --device cuda)
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  "${cuda_cmd[@]}" >/dev/null || die "a GPU is visible but '${cuda_cmd[*]:1}' failed"
  say "a GPU is visible: --device cuda ran"
else
  rc=0
  err="$("${cuda_cmd[@]}" 2>&1 >/dev/null)" || rc=$?
  [ "$rc" -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && [[ "$err" == "natsbench: error: "* ]] \
    || die "without a GPU, --device cuda should fail with exit 2 and one error line; got exit $rc: $err"
  say "no GPU: --device cuda fails cleanly ($err)"
fi
phase_end

say "OK: $bin links $torch_desc (total $(awk -v a="$total_t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}') s)"
