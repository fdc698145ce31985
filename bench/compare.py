#!/usr/bin/env python3
"""llama-fast against llama.cpp's llama-bench, side by side, on the same machine.

The peers are llama.cpp builds (--peer NAME=PATH, in order; default: the newest llama.cpp
and b4875, as bench/build-llama-cpp.sh builds them). For every model and thread count the
programs run ALTERNATELY, one repetition each (ours, newest, b4875, ours, ... for --rounds
rounds), so that noise from a shared machine falls on all about equally. Each run measures
prompt processing (pp, -p tokens) and generation (tg, -n tokens); the table reports the
median over rounds of each program, the ratio of our median to each peer's, and for
generation optionally the fraction of a memory-bandwidth limit (bytes of weights read per
token / bandwidth).

    bench/build-llama-cpp.sh all        # once: third_party/llama.cpp-{newest,b4875}/bin/llama-bench
    make                                # builds build/llama-fast
    bench/compare.py models/SmolLM2-135M-Instruct.Q4_1.gguf --rounds 5 -t 1,2 \
        --ours-extra-args=--precise-activations --markdown-out /tmp/table.md

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
DEFAULT_PEERS = ["%s=%s" % (name, os.path.join(ROOT, "third_party", "llama.cpp-" + name, "bin",
                                               "llama-bench"))
                 for name in ("newest", "b4875")]
OURS = "llama-fast"


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


def run_peer(args, peer_bin, model, threads):
    cmd = [peer_bin, "-m", model, "-p", str(args.n_prompt), "-n", str(args.n_gen),
           "-r", "1", "-t", str(threads), "-o", "json"] + shlex.split(args.peer_extra_args)
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


def parse_peers(specs):
    """--peer NAME=PATH values -> [[name, path], ...] (names unique, in order)."""
    peers = []
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise ValueError("--peer wants NAME=PATH, got %r" % spec)
        if name == OURS or name in [n for n, _ in peers]:
            raise ValueError("--peer name %r used twice" % name)
        peers.append([name, path])
    return peers


def peer_tag(name, path):
    """The peer's upstream build ('b11312') from the upstream-build file that
    bench/build-llama-cpp.sh leaves in the build directory (bin/..), else NAME."""
    try:
        with open(os.path.join(os.path.dirname(os.path.dirname(path)), "upstream-build")) as f:
            return f.read().strip() or name
    except OSError:
        return name


def peer_title(tag):
    return tag if tag.startswith("llama.cpp") else "llama.cpp " + tag


def new_side():
    return {"pp": [], "tg": [], "err": None, "meta": {}}


def measure(args, threads):
    """Runs llama-fast and every peer alternately; one entry per (model, thread count)."""
    programs = [(OURS, lambda m, t: run_ours(args, m, t))]
    programs += [(name, lambda m, t, path=path: run_peer(args, path, m, t))
                 for name, path in args.peers]
    results = []
    for model in args.models:
        for t in threads:
            r = {"model": model, "threads": t, "sides": {name: new_side() for name, _ in programs},
                 "busy_before": []}
            for rnd in range(args.rounds):
                for name, fn in programs:
                    side = r["sides"][name]
                    busy = wait_quiet(args) if args.wait_quiet > 0 else cpu_busy()
                    if busy is not None:
                        r["busy_before"].append(busy)
                    t0 = time.time()
                    try:
                        out = fn(model, t)
                    except RuntimeError as e:
                        side["err"] = str(e)
                        log("%s t=%d round %d/%d %-10s error: %s" %
                            (os.path.basename(model), t, rnd + 1, args.rounds, name, e))
                        continue
                    for kind in ("pp", "tg"):
                        if kind in out:
                            side[kind].append(out[kind])
                    side["meta"].update({k: v for k, v in out.items() if k not in ("pp", "tg")})
                    log("%s t=%d round %d/%d %-10s pp %s tg %s tok/s (%.0f s; %s CPUs busy before)" %
                        (os.path.basename(model), t, rnd + 1, args.rounds, name,
                         fmt(out.get("pp")), fmt(out.get("tg")), time.time() - t0,
                         fmt(busy, 2)))
            results.append(r)
    return results


def upgrade_saved(saved):
    """A --json-out file from before the peers (one llama.cpp, 'theirs') in today's form."""
    args = saved["args"]
    if "peers" in args:
        return saved
    args["peers"] = [["llama.cpp", args.pop("theirs_bin", "?")]]
    args["peer_extra_args"] = args.pop("theirs_extra_args", "")
    for r in saved["results"]:
        r["sides"] = {OURS: {"pp": r["ours"]["pp"], "tg": r["ours"]["tg"],
                             "err": r["ours_err"], "meta": r["ours_meta"]},
                      "llama.cpp": {"pp": r["theirs"]["pp"], "tg": r["theirs"]["tg"],
                                    "err": r["theirs_err"], "meta": r["theirs_meta"]}}
    return saved


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
    ap.add_argument("--peer", action="append", metavar="NAME=PATH",
                    help="a llama.cpp llama-bench binary to compare with (repeatable, in "
                         "order; the first is the one the text quotes). Default: %s" %
                         " ".join(DEFAULT_PEERS))
    ap.add_argument("--ours-extra-args", default="",
                    help='extra arguments for llama-fast bench, e.g. --ours-extra-args=--precise-activations (with =)')
    ap.add_argument("--peer-extra-args", default="", help="extra arguments for every llama-bench")
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
        saved = upgrade_saved(saved)
        for key, value in saved["args"].items():
            if not key.startswith("bandwidth") and key not in ("markdown_out", "json_out",
                                                               "from_json"):
                setattr(args, key, value)
        results = saved["results"]
    elif not args.models:
        ap.error("no model files given")
    else:
        try:
            args.peers = parse_peers(args.peer or DEFAULT_PEERS)
        except ValueError as e:
            ap.error(str(e))
        results = None

    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    bandwidth = {1: args.bandwidth_gbps_1, 2: args.bandwidth_gbps_2}
    tests = [("pp", "pp%d" % args.n_prompt)] if args.n_prompt > 0 else []
    tests += [("tg", "tg%d" % args.n_gen)] if args.n_gen > 0 else []

    if results is None:
        results = measure(args, threads)
    peers = [(name, peer_tag(name, path)) for name, path in args.peers]
    names = [OURS] + [name for name, _ in peers]

    # The table.
    bw_given = any(bandwidth.get(t) for t in threads)
    head = ["model", "type", "threads", "test", "llama-fast tok/s median (min–max)"]
    for _, tag in peers:
        head += ["%s tok/s median (min–max)" % peer_title(tag), "ours/%s" % tag]
    head += ["CPUs busy before runs"]
    if bw_given:
        head += ["% of BW limit: " + " / ".join(["ours"] + [tag for _, tag in peers])]
    lines = []
    ours_desc = os.path.relpath(args.ours_bin, ROOT) + (" " + args.ours_extra_args if args.ours_extra_args else "")
    if os.environ.get("LLAMA_FAST_SIMD"):  # a capped kernel set changes what the table measures
        ours_desc = "LLAMA_FAST_SIMD=%s %s" % (os.environ["LLAMA_FAST_SIMD"], ours_desc)
    lines.append("llama-fast: `%s bench MODEL -p %d -n %d -r 1 -t T --json`" %
                 (ours_desc, args.n_prompt, args.n_gen))
    lines.append("")
    for name, tag in peers:
        meta = {}
        for r in results:
            meta = r["sides"][name]["meta"] or meta
        lines.append("%s%s: `llama-bench -m MODEL -p %d -n %d -r 1 -t T -o json%s`, "
                     "build_commit %s, build_number %s" %
                     (peer_title(tag), " (%s)" % name if name != tag else "",
                      args.n_prompt, args.n_gen,
                      (" " + args.peer_extra_args) if args.peer_extra_args else "",
                      meta.get("build_commit", "?"), meta.get("build_number", "?")))
        lines.append("")
    lines.append("%d alternated rounds per row (%s, %s, …); "
                 "ours/X = median llama-fast / median X; CPUs busy before runs = "
                 "median (max) CPUs' worth of work by other processes in the 0.5 s before "
                 "each run (from /proc/stat)." % (args.rounds, ", ".join(names), OURS))
    if bw_given:
        lines.append("BW limit = bandwidth / size_bytes (weight bytes read per generated token, "
                     "from llama-fast bench); bandwidth %s." %
                     ", ".join("%g GB/s at %d thread%s" % (bandwidth[t], t, "" if t == 1 else "s")
                               for t in threads if bandwidth.get(t)))
    lines.append("")
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join(["---"] * 4 + ["---:"] * (len(head) - 4)) + "|")
    for r in results:
        sides = r["sides"]
        mtype = sides[OURS]["meta"].get("type")
        for name in names[1:]:
            mtype = mtype or sides[name]["meta"].get("model_type")
        size_bytes = sides[OURS]["meta"].get("size_bytes")
        if size_bytes is None:
            try:
                size_bytes = os.path.getsize(r["model"])
            except OSError:
                size_bytes = None
        for kind, test in tests:
            med = {name: summarize(sides[name][kind]) for name in names}
            o = med[OURS]
            busy = r.get("busy_before") or []
            busy_cell = "%s (max %s)" % (fmt(statistics.median(busy), 2), fmt(max(busy), 2)) if busy else "—"
            row = [os.path.basename(r["model"]), str(mtype or "?"), str(r["threads"]), test,
                   cell(o, sides[OURS]["err"])]
            for name, _ in peers:
                th = med[name]
                row += [cell(th, sides[name]["err"]),
                        "%.2f" % (o[0] / th[0]) if o and th and th[0] > 0 else "—"]
            row += [busy_cell]
            if bw_given:
                bw = bandwidth.get(r["threads"])
                if kind == "tg" and bw and size_bytes:
                    limit = bw * 1e9 / size_bytes
                    row += [" / ".join("%.0f%%" % (100 * med[n][0] / limit) if med[n] else "—"
                                       for n in names)]
                else:
                    row += [""]
            lines.append("| " + " | ".join(row) + " |")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.markdown_out:
        with open(args.markdown_out, "w") as f:
            f.write(table)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"args": vars(args), "results": results}, f, indent=1)
    failed = any(side["err"] for r in results for side in r["sides"].values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
