"""Pass/fail counting for the Python checks: check() counts and prints a failure, skip()
counts checks that cannot run here and says why, finish() prints the closing "N passed, M
failed[, K skipped]" line tests/run.sh adds up and returns the exit status."""
passed = failed = skipped = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, flush=True)


def skip(count, why):
    global skipped
    skipped += count
    print(f"SKIP ({count} checks): {why}", flush=True)


def finish():
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0
