#!/usr/bin/env python3
"""Load a benchmark with the official nats_bench API and report time and peak memory.

Usage: official_load.py SPACE PATH [PYDEPS]     (run under /usr/bin/time -v for the full picture)
"""
import json
import os
import resource
import sys
import time

space, path = sys.argv[1], sys.argv[2]
if len(sys.argv) > 3:
    sys.path.insert(0, sys.argv[3])
import nats_bench  # noqa: E402

start = time.perf_counter()
api = nats_bench.create(path, space, fast_mode=os.path.isdir(path), verbose=False)
seconds = time.perf_counter() - start
print(json.dumps({"benchmark": path, "architectures": len(api.evaluated_indexes),
                  "seconds": seconds,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
