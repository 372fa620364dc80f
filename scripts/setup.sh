#!/usr/bin/env bash
# Installs what natsbench needs on Debian 12 (only what is missing; silent when everything is
# there) and configures + builds it into build/ (Release).
#   NATSBENCH_BUILD_DIR   build directory (default: build)
#   NATSBENCH_JOBS        parallel compile jobs (default: number of cores)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${NATSBENCH_BUILD_DIR:-$root/build}"
jobs="${NATSBENCH_JOBS:-$(nproc)}"

packages=(
  g++ cmake ninja-build ccache pkg-config
  libtorch-dev           # CPU LibTorch 1.13
  libyaml-cpp-dev libspdlog-dev libfmt-dev catch2 libbz2-dev libcli11-dev nlohmann-json3-dev
  python3 python3-numpy python3-pip python3-torch  # independent reference clients in tests
  clang                  # libFuzzer target
)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
    "${missing[@]}" >/dev/null
fi

# Optional: Slurm + munge for tests/cli/slurm_test.sh, which starts its own private cluster and
# skips without them; failing to install them is not an error.
optional_packages=(slurm-wlm munge)
missing=()
for pkg in "${optional_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing optional ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  # Their maintainer scripts start munge and slurmd as services: a policy-rc.d that answers 101
  # keeps them down (a container has no init system, and the test runs its own daemons).
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ] &&
     printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null 2>&1; then
    "${sudo_cmd[@]}" chmod 755 "$policy" && own_policy=1
  fi
  if ! { "${sudo_cmd[@]}" apt-get update -qq >/dev/null 2>&1 &&
         DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
           --no-install-recommends "${missing[@]}" >/dev/null 2>&1; }; then
    echo "setup: warning: could not install ${missing[*]}; tests/cli/slurm_test.sh will skip"
  fi
  [ "$own_policy" -eq 0 ] || "${sudo_cmd[@]}" rm -f "$policy"
fi

# Independent clients for the tests, unpacked without their dependencies: the original model
# code (xautodl) and the official query API (nats_bench, needs only numpy).
pydeps="$root/.deps/python"
for wheel in xautodl==1.0.0 nats_bench==1.8; do
  module="${wheel%%==*}"
  [ -d "$pydeps/$module" ] && continue
  wheels="$(mktemp -d)"
  if /usr/bin/python3 -m pip download --quiet --no-deps --dest "$wheels" "$wheel" \
       >/dev/null 2>&1; then
    mkdir -p "$pydeps"
    /usr/bin/python3 -m zipfile -e "$wheels"/*.whl "$pydeps"
  else
    echo "setup: warning: could not download $wheel from PyPI; tests that use it will skip"
  fi
  rm -rf "$wheels"
done

export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build_dir" -j "$jobs" | grep -v '^\[' || true
test -x "$build_dir/natsbench" || { echo "setup: build failed" >&2; exit 1; }
