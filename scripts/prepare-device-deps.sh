#!/usr/bin/env bash
# Puts the build dependencies natsbench needs besides Torch into .deps/device/ (git-ignored), so
# that a GPU machine without internet or apt (the device of the `run` tool) can build it:
# scripts/bench-gpu.sh points CMAKE_PREFIX_PATH at .deps/device/usr and LD_LIBRARY_PATH at its
# lib/x86_64-linux-gnu. The packages are Debian 12's, fetched with `apt-get download` (falling
# back to apt's cache) and unpacked with `dpkg -x`; nothing is installed. Idempotent: a second
# run with the same package versions does nothing.
#
#   scripts/prepare-device-deps.sh            fetch and unpack (only when versions changed)
#   scripts/prepare-device-deps.sh --force    fetch and unpack again
#   scripts/prepare-device-deps.sh --verify   also configure a CUDA build (in a scratch folder
#       under /tmp) against these dependencies alone, check that every package CMake found and
#       every header the compiler read lies in .deps/device, and build natsbench with them
#       (TORCH_CMAKE_PREFIX or build-cuda.sh's virtualenv gives the CUDA Torch; needs nvcc)
#   scripts/prepare-device-deps.sh --prebuilt also copy build-cuda/natsbench and its torch test
#       binary into .deps/device-bin/ with the Torch version they link (see "Carrying" below)
#
# What the CMake files need (grep find_package CMakeLists.txt tests/CMakeLists.txt): CLI11,
# nlohmann_json 3, spdlog (and the fmt it is built with), yaml-cpp, BZip2, Catch2 2 (tests), and
# Torch, which the device brings. Runtime libraries natsbench links: libspdlog.so.1.10,
# libfmt.so.9, libyaml-cpp.so.0.7, libbz2.so.1.0 (all in .deps/device/usr/lib/x86_64-linux-gnu).
#
# Carrying (measured 2026-11-28 on the dev machine):
#   .deps/device        6.3 MiB unpacked (headers, CMake package files, the 4 shared libraries,
#                       Catch2's libCatch2WithMain.a, which its CMake file requires to exist)
#                       -> `carry: [".deps/device"]` in every device call that builds natsbench.
#   the working tree    1.7 MiB (tracked + untracked files), so a call carries ~9.4 MiB in all.
#   .deps/python        1.4 MiB (xautodl, nats_bench): optional, lets reference_loop.py check
#                       its network against the original model code on the device.
#   build-cuda/         ~730 MiB: far over the 64 MiB a call carries; not an option.
#   natsbench binaries  3.0 MiB (natsbench) + 2.9 MiB (natsbench_torch_tests): small, but they
#                       link libtorch*.so / libc10*.so of the exact Torch they were built against
#                       (RUNPATH <that torch>/lib); with another Torch version they fail at load
#                       or first call (C++ symbols change between releases). The device's torch
#                       is 2.11.0+cu130 (KINDS.md, 2026-11); this machine's build-cuda/ venv has
#                       2.15.0+cu132, so carried binaries do not run there today. Building them
#                       here against 2.11.0 needs a second ~5 GB virtualenv and (estimated)
#                       ~15 min of 2-core compiling, and breaks whenever the device's torch moves.
# Recommendation: carry .deps/device (6.3 MiB) and build on the device (16 cores, ninja, only
# the two binaries: an estimated 2-3 min of device time; bench-gpu.sh logs the real figure). Use
# --prebuilt only when the Torch versions are known to match; bench-gpu.sh checks the version
# and builds anyway when they differ.
set -Eeuo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.deps/device"
bin_dest="$root/.deps/device-bin"
stamp="$dest/.packages"
packages=(
  libcli11-dev nlohmann-json3-dev catch2            # header-only
  libspdlog-dev libspdlog1.10 libfmt-dev libfmt9    # spdlog is a shared library built on fmt 9
  libyaml-cpp-dev libyaml-cpp0.7
  libbz2-dev libbz2-1.0
)

say() { echo "prepare-device-deps: $*"; }
die() { echo "prepare-device-deps: error: $*" >&2; exit 1; }
trap 'die "unexpected failure (line $LINENO: $BASH_COMMAND)"' ERR

force=0 verify=0 prebuilt=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    --verify) verify=1 ;;
    --prebuilt) prebuilt=1 ;;
    -h|--help) sed -n '2,/^set -E/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$arg' (expected --force, --verify, --prebuilt)" ;;
  esac
done
[ "$(uname -m)" = x86_64 ] || die "the device is x86-64; these packages are fetched for amd64 on amd64 only"
if ! command -v apt-cache >/dev/null || ! command -v dpkg >/dev/null; then die "needs apt-cache and dpkg (Debian 12)"; fi

# --- 1. Fetch and unpack (skipped when the unpacked versions are the candidate ones) -----------
wanted=""
for pkg in "${packages[@]}"; do
  version="$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')"
  if [ -z "$version" ] || [ "$version" = "(none)" ]; then die "apt knows no package $pkg (apt-get update?)"; fi
  wanted+="$pkg $version"$'\n'
done
if [ "$force" -eq 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")"$'\n' = "$wanted" ]; then
  say "up to date: $dest ($(du -sh "$dest" | cut -f1))"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/debs" "$work/tree"
  specs=()
  while read -r pkg version; do
    [ -n "$pkg" ] && specs+=("$pkg=$version")
  done <<<"$wanted"
  # The sandbox user _apt could not write into a root-owned temporary folder: download as root.
  if ! (cd "$work/debs" && apt-get -q -o APT::Sandbox::User=root download "${specs[@]}") \
      >"$work/download.log" 2>&1; then
    say "apt-get download failed (offline?); looking in /var/cache/apt/archives"
    for spec in "${specs[@]}"; do
      pkg="${spec%%=*}" version="${spec#*=}"
      found=""
      for deb in /var/cache/apt/archives/"${pkg}"_*.deb; do
        if [ -f "$deb" ] && [ "$(dpkg-deb -f "$deb" Version)" = "$version" ]; then found="$deb"; break; fi
      done
      [ -n "$found" ] || { cat "$work/download.log" >&2; die "no $pkg $version: neither apt-get download nor apt's cache has it"; }
      cp "$found" "$work/debs/"
    done
  fi
  for deb in "$work"/debs/*.deb; do
    dpkg -x "$deb" "$work/tree"
  done
  tree="$work/tree"
  # Debian 12 still ships some libraries under /lib: merge them into usr/lib (one prefix).
  if [ -d "$tree/lib" ]; then
    cp -a "$tree/lib/." "$tree/usr/lib/"
    rm -rf "${tree:?}/lib"
  fi
  rm -rf "$tree/usr/share/doc" "$tree/usr/share/man" "$tree/usr/share/lintian" "$tree/usr/share/bug"
  # Static archives that no CMake package file names (yaml-cpp's, bzip2's) only add weight.
  while IFS= read -r archive; do
    grep -rqF "$(basename "$archive")" --include='*.cmake' "$tree" || rm -f "$archive"
  done < <(find "$tree" -name '*.a')
  # Absolute links (libbz2.so -> /lib/x86_64-linux-gnu/libbz2.so.1.0) become relative ones inside.
  while IFS= read -r link; do
    target="$(readlink "$link")"
    case "$target" in
      /lib/*) inside="$tree/usr$target" ;;
      /*) inside="$tree$target" ;;
      *) continue ;;
    esac
    [ -e "$inside" ] || die "$(basename "$link") points to $target, which no fetched package holds"
    ln -sfn "$(realpath --relative-to="$(dirname "$link")" "$inside")" "$link"
  done < <(find "$tree" -type l)
  printf '%s' "$wanted" >"$tree/.packages"
  rm -rf "$dest"
  mkdir -p "$(dirname "$dest")"
  mv "$tree" "$dest"
  say "unpacked ${#packages[@]} packages into $dest ($(du -sh "$dest" | cut -f1))"
fi
for need in usr/include/CLI/CLI.hpp usr/include/nlohmann/json.hpp usr/include/spdlog/spdlog.h \
            usr/include/fmt/core.h usr/include/yaml-cpp/yaml.h usr/include/catch2/catch.hpp \
            usr/include/bzlib.h usr/lib/x86_64-linux-gnu/libspdlog.so.1.10 \
            usr/lib/x86_64-linux-gnu/libfmt.so.9 usr/lib/x86_64-linux-gnu/libyaml-cpp.so.0.7 \
            usr/lib/x86_64-linux-gnu/libbz2.so.1.0; do
  [ -e "$dest/$need" ] || die "$dest/$need is missing: rerun with --force"
done

# --- 2. Optional: prebuilt binaries -------------------------------------------------------------
if [ "$prebuilt" -eq 1 ]; then
  cache="$root/build-cuda/CMakeCache.txt"
  if [ ! -x "$root/build-cuda/natsbench-torch" ] || [ ! -f "$cache" ]; then
    die "--prebuilt: no build-cuda/natsbench (run scripts/build-cuda.sh)"
  fi
  torch_dir="$(sed -n 's/^Torch_DIR:PATH=//p' "$cache")"
  torch_version="$(sed -n 's/^set(PACKAGE_VERSION "\(.*\)")$/\1/p' "$torch_dir/TorchConfigVersion.cmake")"
  [ -n "$torch_version" ] || die "--prebuilt: cannot read the Torch version under $torch_dir"
  rm -rf "$bin_dest"
  mkdir -p "$bin_dest"
  cp "$root/build-cuda/natsbench" "$root/build-cuda/natsbench-torch" "$bin_dest/"
  if [ -x "$root/build-cuda/tests/natsbench_torch_tests" ]; then
    cp "$root/build-cuda/tests/natsbench_torch_tests" "$bin_dest/"
  fi
  echo "$torch_version" >"$bin_dest/torch-version"
  say "copied the build-cuda binaries (Torch $torch_version) into $bin_dest ($(du -sh "$bin_dest" | cut -f1)):" \
      "carry it too; bench-gpu.sh uses them only when the device's torch is $torch_version"
fi

# --- 3. Optional: a configure + partial build against these dependencies alone -----------------
if [ "$verify" -eq 1 ]; then
  if [ -n "${TORCH_CMAKE_PREFIX:-}" ]; then
    torch_root="${TORCH_CMAKE_PREFIX%/}"
  else
    venv="${NATSBENCH_CUDA_VENV:-$HOME/.cache/natsbench/cuda-torch-venv}"
    torch_root="$("$venv/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null)" \
      || die "--verify: no CUDA torch: set TORCH_CMAKE_PREFIX or run scripts/build-cuda.sh once"
  fi
  torch_root="${torch_root%/share/cmake}"
  cuda_home="${CUDA_HOME:-/usr/local/cuda}"
  check_dir="${TMPDIR:-/tmp}/natsbench-device-deps-check"
  rm -rf "$check_dir"
  log="$check_dir.log"
  say "--verify: configuring $check_dir against $torch_root and $dest/usr"
  cmake -S "$root" -B "$check_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$dest/usr;$torch_root" -DNATSBENCH_USE_CCACHE=OFF \
    -DCMAKE_CUDA_COMPILER="$cuda_home/bin/nvcc" -DCUDA_TOOLKIT_ROOT_DIR="$cuda_home" \
    -DTORCH_CUDA_ARCH_LIST=9.0 >"$log" 2>&1 || { tail -n 30 "$log" >&2; die "--verify: configure failed (log: $log)"; }
  cache="$check_dir/CMakeCache.txt"
  for entry in CLI11_DIR nlohmann_json_DIR spdlog_DIR fmt_DIR yaml-cpp_DIR Catch2_DIR \
               BZIP2_INCLUDE_DIR BZIP2_LIBRARY_RELEASE; do
    value="$(sed -n "s/^$entry:[A-Z]*=//p" "$cache")"
    [[ "$value" == "$dest/"* ]] || die "--verify: $entry is '$value', not inside $dest"
    say "  $entry = ${value#"$root/"}"
  done
  # natsbench compiles against CLI11, spdlog, fmt, nlohmann_json and bzlib (no Torch), and
  # hyper_params.cpp.o against yaml-cpp (with Torch's precompiled header).
  LD_LIBRARY_PATH="$dest/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    cmake --build "$check_dir" -j "${NATSBENCH_JOBS:-2}" --target natsbench \
    CMakeFiles/natsbench_torch.dir/src/train/hyper_params.cpp.o >>"$log" 2>&1 \
    || { tail -n 30 "$log" >&2; die "--verify: build failed (log: $log)"; }
  leaked="$(ninja -C "$check_dir" -t deps | grep -E '^ +/usr/include/(CLI|nlohmann|spdlog|fmt|yaml-cpp|catch2|bzlib)' | sort -u || true)"
  [ -z "$leaked" ] || die "--verify: the compiler read system headers: $(head -n 3 <<<"$leaked" | tr -s ' \n' ' ')"
  used="$(ninja -C "$check_dir" -t deps | grep -cE "^ +$dest/usr/include/" || true)"
  ldd_out="$(LD_LIBRARY_PATH="$dest/usr/lib/x86_64-linux-gnu" ldd "$check_dir/natsbench")"
  for lib in libspdlog.so.1.10 libfmt.so.9 libbz2.so.1.0; do
    resolved="$(awk -v l="$lib" '$1 == l {print $3}' <<<"$ldd_out")"
    [[ "$(realpath "$resolved")" == "$dest/"* ]] || die "--verify: natsbench loads $lib from '$resolved'"
  done
  grep -q "$dest/usr/lib/x86_64-linux-gnu/libyaml-cpp.so" "$check_dir/build.ninja" \
    || die "--verify: build.ninja does not link $dest/usr/lib/x86_64-linux-gnu/libyaml-cpp.so"
  LD_LIBRARY_PATH="$dest/usr/lib/x86_64-linux-gnu" "$check_dir/natsbench" arch --space tss --index 11 \
    | grep -q 'avg_pool_3x3~2' || die "--verify: natsbench built against $dest does not run"
  say "--verify OK: packages, $used header reads and the runtime libraries all come from $dest"
  say "  (scratch build left in $check_dir; remove it when done)"
fi
