"""Pass/fail counting for the Python checks: check() counts and prints a failure,
finish() prints the closing "N passed, M failed" line tests/run.sh adds up and returns the
exit status."""
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, flush=True)


def finish():
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0
