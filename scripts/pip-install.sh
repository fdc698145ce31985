#!/bin/sh
# pip install for the tests' Python references. Debian's own python3 refuses installs
# into the system (PEP 668); there the user asked for it by running the tests, so retry
# with --break-system-packages rather than failing.
set -eu
PYTHON=${PYTHON:-python3}
$PYTHON -m pip install --quiet --disable-pip-version-check "$@" ||
    $PYTHON -m pip install --quiet --disable-pip-version-check --break-system-packages "$@"
