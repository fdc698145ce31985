"""Peak memory of a run: the weights stay memory-mapped in the file's own layout (no
repacked second copy), so the peak resident set of `generate` is at most the file size +
the KV cache + 150 MiB (issue 10's bound), for each KV cache type and at 1 and 2
threads. The KV size is the one generate's summary reports. The peak is the child's
ru_maxrss. Under sanitizers (LF_SANITIZED=1) the shadow memory makes the bound
meaningless: the checks are counted as skipped.

usage: check_memory.py BUILD_DIR MODEL_GGUF
"""
import os
import re
import resource
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
from checks import check  # noqa: E402

MIB = 1 << 20
SLACK = 150 * MIB


def peak_run(args):
    """Runs args in a fresh process; returns (completed process, its peak RSS in bytes).
    A child of its own (python -c) so ru_maxrss of RUSAGE_CHILDREN is this run's alone."""
    wrapper = ("import resource, subprocess, sys\n"
               "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
               "sys.stdout.write(p.stderr)\n"
               "print('maxrss_kib', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
               "sys.exit(p.returncode)\n")
    p = subprocess.run([sys.executable, "-c", wrapper] + args, capture_output=True, text=True, timeout=300)
    m = re.search(r"maxrss_kib (\d+)", p.stdout)
    return p, int(m.group(1)) * 1024 if m else None


def main():
    build, model = sys.argv[1], sys.argv[2]
    cases = [(kv, t) for kv in ("f16", "q8_0", "f32") for t in (1, 2)]
    if os.environ.get("LF_SANITIZED") == "1":
        print(f"skipped: {len(cases)} peak-RSS checks (sanitizer shadow memory)")
        print(f"0 passed, 0 failed, {len(cases)} skipped")
        return 0
    file_bytes = os.path.getsize(model)
    for kv, threads in cases:
        p, rss = peak_run([os.path.join(build, "llama-fast"), "generate", model, "--prompt", "Once upon a time",
                           "--max-new-tokens", "16", "--temperature", "0", "--max-seq-len", "2048",
                           "--kv-type", kv, "-t", str(threads)])
        m = re.search(r"KV cache \S+ ([0-9.]+) MiB", p.stdout)
        if p.returncode != 0 or rss is None or not m:
            check(False, f"generate --kv-type {kv} -t {threads}: exit {p.returncode}, output {p.stdout[-300:]!r}")
            continue
        kv_bytes = float(m.group(1)) * MIB
        bound = file_bytes + kv_bytes + SLACK
        print(f"--kv-type {kv} -t {threads}: peak RSS {rss / MIB:.1f} MiB, file {file_bytes / MIB:.1f} MiB "
              f"+ KV {kv_bytes / MIB:.1f} MiB + 150 MiB = {bound / MIB:.1f} MiB")
        check(rss <= bound, f"--kv-type {kv} -t {threads}: peak RSS {rss / MIB:.1f} MiB > bound {bound / MIB:.1f} MiB")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
