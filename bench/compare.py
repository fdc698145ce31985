#!/usr/bin/env python3
"""llama-fast against llama.cpp's llama-bench, side by side, on the same machine.

For every model and thread count the two programs run ALTERNATELY, one repetition each
(ours, llama.cpp, ours, llama.cpp, ... for --rounds rounds), so that noise from a shared
machine falls on both about equally. Each run measures prompt processing (pp, -p tokens)
and generation (tg, -n tokens); the table reports the median over rounds of each side,
the ratio of the medians, and for generation optionally the fraction of a memory-bandwidth
limit (bytes of weights read per token / bandwidth).

    bench/build-llama-cpp.sh            # once: builds third_party/llama.cpp-build/bin/llama-bench
    make                                # builds build/llama-fast
    bench/compare.py models/SmolLM2-135M-Instruct.Q4_1.gguf --rounds 5 -t 1,2 \
        --ours-extra-args=--int8-activations --markdown-out /tmp/table.md

Either side failing (missing binary, unsupported model, crash, timeout) is reported in
the table instead of aborting the comparison. Only the Python standard library is used.
"""

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OURS = os.path.join(ROOT, "build", "llama-fast")
DEFAULT_THEIRS = os.path.join(ROOT, "third_party", "llama.cpp-build", "bin", "llama-bench")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def short_error(proc_or_msg):
    """One line for the table from a failed run."""
    if isinstance(proc_or_msg, str):
        text = proc_or_msg
    else:
        lines = [l.strip() for l in (proc_or_msg.stderr or "").splitlines() if l.strip()]
        text = "exit %d" % proc_or_msg.returncode
        if lines:
            text += ": " + lines[-1]
    text = text.replace("|", "/").replace("\n", " ")
    return text[:120]


def cpu_busy(interval=0.5):
    """CPUs' worth of time spent busy (by anything) over `interval` seconds, from /proc/stat."""
    def read():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        idle = v[3] + (v[4] if len(v) > 4 else 0)
        return sum(v[:8]), idle
    try:
        t0, i0 = read()
        time.sleep(interval)
        t1, i1 = read()
    except (OSError, ValueError, IndexError):
        return None
    total = t1 - t0
    if total <= 0:
        return None
    return (os.cpu_count() or 1) * (1.0 - (i1 - i0) / total)


def wait_quiet(args):
    """Waits (up to --wait-quiet seconds) until other processes use < --quiet-cpus CPUs.
    Returns the last busy reading (CPUs) or None."""
    deadline = time.time() + args.wait_quiet
    busy = cpu_busy()
    while busy is not None and busy > args.quiet_cpus and time.time() < deadline:
        time.sleep(1.0)
        busy = cpu_busy()
    return busy


def run(cmd, timeout):
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=timeout), None
    except FileNotFoundError:
        return None, "not found: %s" % os.path.relpath(cmd[0], ROOT)
    except PermissionError:
        return None, "not executable: %s" % cmd[0]
    except subprocess.TimeoutExpired:
        return None, "timeout after %d s" % timeout


def run_ours(args, model, threads):
    """{'pp': tok/s, 'tg': tok/s, 'size_bytes': ..., 'type': ..., ...} or raises RuntimeError."""
    cmd = [args.ours_bin, "bench", model, "-p", str(args.n_prompt), "-n", str(args.n_gen),
           "-r", "1", "-t", str(threads), "--json"] + shlex.split(args.ours_extra_args)
    proc, err = run(cmd, args.timeout)
    if err:
        raise RuntimeError(err)
    if proc.returncode != 0:
        raise RuntimeError(short_error(proc))
    out = {}
    for line in proc.stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            raise RuntimeError("unparsable JSON line: %s" % line[:80])
        test = str(obj.get("test", ""))
        kind = "pp" if test.startswith("pp") else "tg" if test.startswith("tg") else None
        if kind is None:
            continue
        out[kind] = float(obj["tokens_per_second"]["median"])
        for key in ("size_bytes", "type", "model", "params", "activations"):
            if key in obj:
                out[key] = obj[key]
    if "pp" not in out and "tg" not in out:
        raise RuntimeError("no pp/tg results in output")
    return out


def run_theirs(args, model, threads):
    cmd = [args.theirs_bin, "-m", model, "-p", str(args.n_prompt), "-n", str(args.n_gen),
           "-r", "1", "-t", str(threads), "-o", "json"] + shlex.split(args.theirs_extra_args)
    proc, err = run(cmd, args.timeout)
    if err:
        raise RuntimeError(err)
    if proc.returncode != 0:
        raise RuntimeError(short_error(proc))
    text = proc.stdout
    start = text.find("[")
    try:
        tests = json.loads(text[start:]) if start >= 0 else None
    except ValueError:
        tests = None
    if not isinstance(tests, list):
        raise RuntimeError("no JSON array from llama-bench: %s" % short_error(proc))
    out = {}
    for t in tests:
        n_prompt, n_gen = int(t.get("n_prompt", 0)), int(t.get("n_gen", 0))
        kind = "pp" if n_prompt > 0 and n_gen == 0 else "tg" if n_gen > 0 and n_prompt == 0 else None
        if kind is None:
            continue
        samples = t.get("samples_ts") or []
        out[kind] = float(statistics.median(samples)) if samples else float(t["avg_ts"])
        for key in ("build_commit", "build_number", "cpu_info", "model_type", "model_size",
                    "n_threads"):
            if key in t:
                out[key] = t[key]
    if "pp" not in out and "tg" not in out:
        raise RuntimeError("no pp/tg results from llama-bench")
    return out


def fmt(x, digits=1):
    return "—" if x is None else ("%.*f" % (digits, x))


def summarize(samples):
    if not samples:
        return None
    return statistics.median(samples), min(samples), max(samples)


def cell(summary, err):
    if summary is None:
        return "error: %s" % err if err else "—"
    med, lo, hi = summary
    return "%s (%s–%s)" % (fmt(med), fmt(lo), fmt(hi))


def measure(args, threads):
    """Runs both programs alternately; one entry per (model, thread count)."""
    results = []
    for model in args.models:
        for t in threads:
            r = {"model": model, "threads": t, "ours": {"pp": [], "tg": []},
                 "theirs": {"pp": [], "tg": []}, "ours_err": None, "theirs_err": None,
                 "ours_meta": {}, "theirs_meta": {}, "busy_before": []}
            for rnd in range(args.rounds):
                for side, fn in (("ours", run_ours), ("theirs", run_theirs)):
                    busy = wait_quiet(args) if args.wait_quiet > 0 else cpu_busy()
                    if busy is not None:
                        r["busy_before"].append(busy)
                    t0 = time.time()
                    try:
                        out = fn(args, model, t)
                    except RuntimeError as e:
                        r[side + "_err"] = str(e)
                        log("%s t=%d round %d/%d %-6s error: %s" %
                            (os.path.basename(model), t, rnd + 1, args.rounds, side, e))
                        continue
                    for kind in ("pp", "tg"):
                        if kind in out:
                            r[side][kind].append(out[kind])
                    r[side + "_meta"].update({k: v for k, v in out.items() if k not in ("pp", "tg")})
                    log("%s t=%d round %d/%d %-6s pp %s tg %s tok/s (%.0f s; %s CPUs busy before)" %
                        (os.path.basename(model), t, rnd + 1, args.rounds, side,
                         fmt(out.get("pp")), fmt(out.get("tg")), time.time() - t0,
                         fmt(busy, 2)))
            results.append(r)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*", help="GGUF model files")
    ap.add_argument("--rounds", "-r", type=int, default=5,
                    help="alternated rounds per model and thread count (default 5)")
    ap.add_argument("--threads", "-t", default="1,2", help="thread counts (default 1,2)")
    ap.add_argument("-p", dest="n_prompt", type=int, default=512, help="prompt tokens (512)")
    ap.add_argument("-n", dest="n_gen", type=int, default=128, help="generated tokens (128)")
    ap.add_argument("--ours-bin", default=DEFAULT_OURS, help="llama-fast binary")
    ap.add_argument("--theirs-bin", default=DEFAULT_THEIRS, help="llama.cpp llama-bench binary")
    ap.add_argument("--ours-extra-args", default="",
                    help='extra arguments for llama-fast bench, e.g. --ours-extra-args=--int8-activations (with =)')
    ap.add_argument("--theirs-extra-args", default="", help="extra arguments for llama-bench")
    ap.add_argument("--bandwidth-gbps-1", type=float, default=None,
                    help="memory bandwidth (GB/s) reachable with 1 thread, for the tg limit")
    ap.add_argument("--bandwidth-gbps-2", type=float, default=None,
                    help="memory bandwidth (GB/s) reachable with 2 threads, for the tg limit")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per run (1800)")
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                    help="before each run wait up to SECONDS until the CPUs are quiet "
                         "(default 0: do not wait; the busy level is recorded either way)")
    ap.add_argument("--quiet-cpus", type=float, default=0.3,
                    help="'quiet' = fewer than this many CPUs busy over 0.5 s (default 0.3)")
    ap.add_argument("--markdown-out", help="also write the markdown table to this file")
    ap.add_argument("--json-out", help="write every per-round sample to this JSON file")
    ap.add_argument("--from-json", metavar="FILE",
                    help="run nothing: print the table of a --json-out file again (e.g. with "
                         "other --bandwidth-gbps-* values)")
    args = ap.parse_args()
    if args.from_json:
        with open(args.from_json) as f:
            saved = json.load(f)
        for key, value in saved["args"].items():
            if not key.startswith("bandwidth") and key not in ("markdown_out", "json_out",
                                                               "from_json"):
                setattr(args, key, value)
        results = saved["results"]
    elif not args.models:
        ap.error("no model files given")
    else:
        results = None

    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    bandwidth = {1: args.bandwidth_gbps_1, 2: args.bandwidth_gbps_2}
    tests = [("pp", "pp%d" % args.n_prompt)] if args.n_prompt > 0 else []
    tests += [("tg", "tg%d" % args.n_gen)] if args.n_gen > 0 else []

    if results is None:
        results = measure(args, threads)
    peer = {}
    for r in results:
        if r["theirs_meta"]:
            peer = r["theirs_meta"]

    # The table.
    bw_given = any(bandwidth.get(t) for t in threads)
    head = ["model", "type", "threads", "test", "llama-fast tok/s median (min–max)",
            "llama.cpp tok/s median (min–max)", "ratio ours/llama.cpp", "CPUs busy before runs"]
    if bw_given:
        head += ["ours % of BW limit", "llama.cpp % of BW limit"]
    lines = []
    ours_desc = os.path.relpath(args.ours_bin, ROOT) + (" " + args.ours_extra_args if args.ours_extra_args else "")
    lines.append("llama-fast: `%s bench MODEL -p %d -n %d -r 1 -t T --json`" %
                 (ours_desc, args.n_prompt, args.n_gen))
    lines.append("")
    lines.append("llama.cpp: `llama-bench -m MODEL -p %d -n %d -r 1 -t T -o json%s`, build_commit %s, build_number %s" %
                 (args.n_prompt, args.n_gen,
                  (" " + args.theirs_extra_args) if args.theirs_extra_args else "",
                  peer.get("build_commit", "?"), peer.get("build_number", "?")))
    lines.append("")
    lines.append("%d alternated rounds per row (ours, llama.cpp, ours, …); "
                 "ratio = median ours / median llama.cpp; CPUs busy before runs = "
                 "median (max) CPUs' worth of work by other processes in the 0.5 s before "
                 "each run (from /proc/stat)." % args.rounds)
    if bw_given:
        lines.append("BW limit = bandwidth / size_bytes (weight bytes read per generated token, "
                     "from llama-fast bench); bandwidth %s." %
                     ", ".join("%g GB/s at %d thread%s" % (bandwidth[t], t, "" if t == 1 else "s")
                               for t in threads if bandwidth.get(t)))
    lines.append("")
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join(["---"] * 4 + ["---:"] * (len(head) - 4)) + "|")
    for r in results:
        om, tm = r["ours_meta"], r["theirs_meta"]
        mtype = om.get("type") or tm.get("model_type", "?")
        size_bytes = om.get("size_bytes")
        if size_bytes is None:
            try:
                size_bytes = os.path.getsize(r["model"])
            except OSError:
                size_bytes = None
        for kind, name in tests:
            o = summarize(r["ours"][kind])
            th = summarize(r["theirs"][kind])
            ratio = "%.2f" % (o[0] / th[0]) if o and th and th[0] > 0 else "—"
            busy = r.get("busy_before") or []
            busy_cell = "%s (max %s)" % (fmt(statistics.median(busy), 2), fmt(max(busy), 2)) if busy else "—"
            row = [os.path.basename(r["model"]), str(mtype), str(r["threads"]), name,
                   cell(o, r["ours_err"]), cell(th, r["theirs_err"]), ratio, busy_cell]
            if bw_given:
                bw = bandwidth.get(r["threads"])
                if kind == "tg" and bw and size_bytes:
                    limit = bw * 1e9 / size_bytes
                    row += ["%.0f%%" % (100 * o[0] / limit) if o else "—",
                            "%.0f%%" % (100 * th[0] / limit) if th else "—"]
                else:
                    row += ["", ""]
            lines.append("| " + " | ".join(row) + " |")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.markdown_out:
        with open(args.markdown_out, "w") as f:
            f.write(table)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"args": vars(args), "results": results}, f, indent=1)
    failed = any(r["ours_err"] or r["theirs_err"] for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
