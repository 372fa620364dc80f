#!/usr/bin/env python3
"""Bookkeeping for scripts/bench-gpu.sh: one JSON file per step, merged into bench-gpu.json.

  gpu_report.py env                          JSON line: device, driver, toolchain, torch
  gpu_report.py step PARTS NAME KIND --rc RC --seconds S [--limit L] [--stdout F] [--stderr F]
                [--util CSV] [--status S] [--note TEXT] [--meta JSON] [-- CMD...]
                                             records one step (its last stdout line that is a
                                             JSON object is the step's result)
  gpu_report.py report PARTS OUT [--summary] merges every step into OUT (written atomically):
                device, versions, baseline, natsbench runs, ratios, target checks

Only the standard library: it runs wherever bench-gpu.sh runs, with or without torch.
"""
import argparse
import datetime
import glob
import json
import os
import platform
import shutil
import subprocess
import sys

TARGET_SPEEDUP = 10.0       # natsbench single candidate vs the reference loop
TARGET_CONCURRENCY = 3.0    # aggregate of M concurrent candidates vs one candidate alone


def last_json_object(path):
    """The last line of a file that parses as a JSON object, or None."""
    if not path or not os.path.exists(path):
        return None
    with open(path, encoding="utf-8", errors="replace") as handle:
        lines = handle.read().splitlines()
    for line in reversed(lines):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return None


def tail(path, lines=15):
    if not path or not os.path.exists(path):
        return None
    with open(path, encoding="utf-8", errors="replace") as handle:
        text = handle.read().splitlines()[-lines:]
    return "\n".join(text) or None


def summarise_util(path):
    """Mean / max GPU utilisation, SM clock, power and memory from nvidia-smi CSV samples."""
    if not path or not os.path.exists(path):
        return None
    columns = [[], [], [], []]  # utilisation %, SM clock MHz, power W, memory MiB
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            for column, field in zip(columns, line.split(",")):
                try:
                    column.append(float(field.strip()))
                except ValueError:  # "[N/A]" and the like
                    pass
    if not columns[0]:
        return None

    def mean(values):
        return sum(values) / len(values) if values else None
    return {"samples": len(columns[0]), "gpu_util_mean_pct": mean(columns[0]),
            "gpu_util_max_pct": max(columns[0]), "sm_clock_mean_mhz": mean(columns[1]),
            "power_mean_w": mean(columns[2]),
            "memory_used_max_mib": max(columns[3]) if columns[3] else None}


def run(cmd):
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
        return (done.stdout or done.stderr).strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def command_env(_args):
    info = {"python": platform.python_version(), "python_executable": sys.executable,
            "kernel": platform.release(), "cpus": os.cpu_count()}
    smi = run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm,"
               "power.limit,clocks.sm,temperature.gpu", "--format=csv,noheader"])
    info["nvidia_smi"] = smi
    nvcc = run(["nvcc", "--version"])
    info["nvcc"] = nvcc.splitlines()[-1] if nvcc else None
    for tool, flag in (("c++", "--version"), ("cmake", "--version"), ("ninja", "--version"),
                       ("ccache", "--version")):
        text = run([tool, flag]) if shutil.which(tool) else None
        info[tool] = text.splitlines()[0] if text else None
    for tool in ("nsys", "ncu"):
        info[tool] = shutil.which(tool)
    try:
        import torch
        info["torch"] = torch.__version__
        info["torch_cuda"] = torch.version.cuda
        info["torch_cmake_prefix"] = torch.utils.cmake_prefix_path
        info["cuda_available"] = torch.cuda.is_available()
        if torch.cuda.is_available():
            info["cudnn"] = torch.backends.cudnn.version()
            props = torch.cuda.get_device_properties(0)
            info["device_name"] = props.name
            info["compute_capability"] = f"{props.major}.{props.minor}"
            info["multiprocessors"] = props.multi_processor_count
            info["memory_gib"] = props.total_memory / 2 ** 30
        try:
            import torchvision
            info["torchvision"] = torchvision.__version__
        except ImportError:
            info["torchvision"] = None
    except Exception as error:  # noqa: BLE001 (a broken torch is a finding, not a crash)
        info["torch_error"] = f"{type(error).__name__}: {error}"
    print(json.dumps(info, sort_keys=True))


def command_step(args):
    if args.status:
        status = args.status
    elif args.rc == 0:
        status = "ok"
    elif args.rc in (124, 137):
        status = "timeout"
    else:
        status = "failed"
    record = {"name": args.name, "kind": args.kind, "status": status, "rc": args.rc,
              "seconds": args.seconds, "limit_s": args.limit, "cmd": args.cmd or None,
              "note": args.note, "result": last_json_object(args.stdout),
              "gpu": summarise_util(args.util)}
    if args.meta:
        record["meta"] = json.loads(args.meta)
    if status not in ("ok", "skipped", "absent"):
        record["stderr_tail"] = tail(args.stderr)
    index = len(glob.glob(os.path.join(args.parts, "*.json")))
    path = os.path.join(args.parts, f"{index:02d}-{args.name}.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(record, handle, sort_keys=True)


def throughput(step):
    """Training images per second of a natsbench or reference step (aggregate if concurrent)."""
    result = (step or {}).get("result") or {}
    if step and step.get("status") != "ok":
        return None
    for key in ("aggregate_images_per_second", "train_images_per_second", "images_per_second"):
        if isinstance(result.get(key), (int, float)) and result[key] > 0:
            return float(result[key])
    return None


def ratio(a, b):
    return a / b if a is not None and b else None


def command_report(args):
    steps = []
    for path in sorted(glob.glob(os.path.join(args.parts, "*.json"))):
        with open(path, encoding="utf-8") as handle:
            steps.append(json.load(handle))
    by_name = {step["name"]: step for step in steps}
    env = (by_name.get("env") or {}).get("result") or {}
    baseline = by_name.get("reference")
    natsbench = {s["name"][len("natsbench-"):]: s for s in steps if s["kind"] == "natsbench"}

    base_ips = throughput(baseline)
    ratios = {}
    for name, step in natsbench.items():
        ratios[f"{name}_vs_reference"] = ratio(throughput(step), base_ips)
    if by_name.get("reference-torchvision"):
        ratios["reference_builtin_vs_torchvision"] = ratio(
            base_ips, throughput(by_name["reference-torchvision"]))

    # Benchmark protocol (deterministic cuDNN) for the 10x target; --fast is reported beside it.
    deterministic = {n: throughput(natsbench.get(n)) for n in ("plain", "graph", "eager")}
    deterministic = {n: v for n, v in deterministic.items() if v is not None}
    best_single = max(deterministic, key=deterministic.get) if deterministic else None
    single_ips = deterministic.get(best_single)
    concurrent = {n: throughput(s) for n, s in natsbench.items() if n.startswith("concurrent")}
    for name, value in concurrent.items():
        ratios[f"{name}_vs_single"] = ratio(value, single_ips)
    concurrent = {n: v for n, v in concurrent.items() if v is not None}
    best_concurrent = max(concurrent, key=concurrent.get) if concurrent else None

    speedup = ratio(single_ips, base_ips)
    scaling = ratio(concurrent.get(best_concurrent), single_ips)
    targets = {
        "speedup_10x": {
            "target": TARGET_SPEEDUP, "ratio": speedup, "run": best_single,
            "pass": None if speedup is None else speedup >= TARGET_SPEEDUP,
            "definition": "best deterministic single-candidate natsbench run (plain, graph or "
                          "eager) "
                          "train images/s over the reference loop's images/s, same device call",
            "fast_ratio": ratios.get("fast_vs_reference")},
        "concurrent_3x": {
            "target": TARGET_CONCURRENCY, "ratio": scaling, "run": best_concurrent,
            "pass": None if scaling is None else scaling >= TARGET_CONCURRENCY,
            "definition": "best --concurrent M aggregate train images/s over the best "
                          "deterministic single-candidate run's images/s"},
    }

    params = {}
    cost = (by_name.get("natsbench-cost") or {}).get("result") or {}
    base_result = (baseline or {}).get("result") or {}
    if cost.get("params") is not None and base_result.get("params") is not None:
        params = {"natsbench": cost["params"], "reference": base_result["params"],
                  "match": abs(cost["params"] - base_result["params"]) < 5e-7}

    essential = ["env", "reference", "build", "natsbench-plain", "natsbench-graph"]
    report = {
        "schema": "natsbench-bench-gpu/1",
        "written": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "complete": all((by_name.get(n) or {}).get("status") in ("ok", "reused", "prebuilt")
                        for n in essential),
        "device": {k: env.get(k) for k in ("device_name", "compute_capability", "multiprocessors",
                                           "memory_gib", "nvidia_smi", "cpus", "kernel")},
        "versions": {k: env.get(k) for k in ("torch", "torch_cuda", "cudnn", "torchvision",
                                             "python", "nvcc", "c++", "cmake", "ninja", "ccache",
                                             "nsys", "ncu")},
        "baseline": baseline,
        "natsbench": natsbench,
        "ratios": ratios,
        "targets": targets,
        "params_check": params or None,
        "steps": [{"name": s["name"], "status": s["status"], "seconds": s["seconds"],
                   "note": s.get("note")} for s in steps],
        "other": {s["name"]: s for s in steps
                  if s["kind"] not in ("natsbench",) and s["name"] != "reference"},
    }
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=1, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, args.out)
    if args.summary:
        print_summary(report, steps, base_ips)


def print_summary(report, steps, base_ips):
    def fmt(value, spec):
        width = int(spec.split(".")[0] or 0)
        return format(value, spec) if isinstance(value, (int, float)) else "-".rjust(width)
    print(f"{'step':<24} {'status':<8} {'secs':>6} {'img/s':>10} {'ms/step':>8} {'x ref':>7} "
          f"{'gpu%':>5}")
    for step in steps:
        result = step.get("result") or {}
        ips = throughput(step) if step["kind"] in ("natsbench", "reference") else None
        ms = result.get("ms_per_step") if step["kind"] in ("natsbench", "reference") else None
        print(f"{step['name']:<24} {step['status']:<8} {fmt(step['seconds'], '6.1f')} "
              f"{fmt(ips, '10.1f')} {fmt(ms, '8.2f')} {fmt(ratio(ips, base_ips), '7.2f')} "
              f"{fmt((step.get('gpu') or {}).get('gpu_util_mean_pct'), '5.0f')}")
    for name, target in report["targets"].items():
        verdict = {True: "PASS", False: "FAIL", None: "n/a"}[target["pass"]]
        print(f"target {name}: {verdict} (ratio {fmt(target['ratio'], '.2f')}, "
              f"run {target['run'] or '-'}, needs >= {target['target']:g})")
    device = report["device"].get("device_name") or "unknown device"
    print(f"device: {device}; torch {report['versions'].get('torch')}; "
          f"complete: {report['complete']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("env")
    step = sub.add_parser("step")
    step.add_argument("parts")
    step.add_argument("name")
    step.add_argument("kind")
    step.add_argument("--rc", type=int, default=0)
    step.add_argument("--seconds", type=float, default=0.0)
    step.add_argument("--limit", type=int)
    step.add_argument("--stdout")
    step.add_argument("--stderr")
    step.add_argument("--util")
    step.add_argument("--status")
    step.add_argument("--note")
    step.add_argument("--meta")
    report = sub.add_parser("report")
    report.add_argument("parts")
    report.add_argument("out")
    report.add_argument("--summary", action="store_true")
    argv = sys.argv[1:]
    cmd = []
    if "--" in argv:  # the step's command, recorded as given
        cmd = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    args = parser.parse_args(argv)
    args.cmd = cmd
    {"env": command_env, "step": command_step, "report": command_report}[args.command](args)


if __name__ == "__main__":
    main()
