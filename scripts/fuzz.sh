#!/usr/bin/env bash
# Fuzzes the pickle reader/writer and bz2 with libFuzzer (+ AddressSanitizer, UBSan).
#
#   scripts/fuzz.sh [SECONDS] [BUILD_DIR]      (defaults: 60, build-fuzz)
#
# Configures BUILD_DIR with clang and NATSBENCH_BUILD_FUZZERS=ON, builds only the target
# fuzz_pickle_bz2 (nothing that needs LibTorch is compiled), seeds a corpus with small pickles
# written by /usr/bin/python3 (protocols 0-5, NumPy, bz2; skipped when python3 is missing),
# and runs the fuzzer for SECONDS. Exits non-zero on a finding; the crashing input is left in
# BUILD_DIR/fuzz-artifacts/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
build="${2:-$root/build-fuzz}"
cxx="${NATSBENCH_FUZZ_CXX:-$(command -v clang++ || command -v clang++-14 || true)}"
if [[ -z "$cxx" ]]; then
  echo "fuzz.sh: clang++ not found (set NATSBENCH_FUZZ_CXX)" >&2
  exit 2
fi

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER="$cxx" -DNATSBENCH_BUILD_FUZZERS=ON -DNATSBENCH_BUILD_TESTS=OFF >/dev/null
ninja -C "$build" fuzz_pickle_bz2

seeds="$build/fuzz-seeds"
corpus="$build/fuzz-corpus"
artifacts="$build/fuzz-artifacts"
mkdir -p "$seeds" "$corpus" "$artifacts"
if [[ -x /usr/bin/python3 ]]; then
  /usr/bin/python3 - "$seeds" <<'PY' || echo "fuzz.sh: could not write the python seeds" >&2
import bz2, collections, os, pickle, sys
out = sys.argv[1]
objs = {
    "scalars": [None, True, False, 0, 255, 256, 65536, -1, 2**31, -2**63, 1.5, float("nan"),
                "", "x", "\u00fc\U0001F600", b"", b"\x00\xff"],
    "containers": {"a": [1, (2, 3)], 4: {"b": set([5])}, ("c", 777): frozenset([6]),
                   "t": (), "t4": (1, 2, 3, 4)},
    "ordered": collections.OrderedDict([("12", {"train_times": collections.OrderedDict([(0, 7.2)])})]),
    "shared": (lambda x: [x, x])([1]),
    "bytearray": bytearray(b"ab"),
}
try:
    import numpy as np
    objs["numpy"] = {"params": np.float64(0.129306), "latency": [np.float64(0.0139)],
                     "i": np.int32(-3), "b": np.bool_(True),
                     "arr": np.arange(6, dtype=np.uint8).reshape(2, 3),
                     "f": np.asfortranarray(np.ones((2, 2)))}
except ImportError:
    pass
for name, obj in objs.items():
    for proto in range(6):
        data = pickle.dumps(obj, protocol=proto)
        with open(os.path.join(out, "%s.p%d" % (name, proto)), "wb") as f:
            f.write(data)
        if proto in (2, 4):
            with open(os.path.join(out, "%s.p%d.bz2" % (name, proto)), "wb") as f:
                f.write(bz2.compress(data))
PY
fi
printf '\x80\x04K\x05.' >"$seeds/tiny.p4"

echo "fuzz.sh: running fuzz_pickle_bz2 for ${seconds}s"
"$build/fuzz_pickle_bz2" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "$seeds"
