#!/bin/sh
# Installs the Debian packages llama-fast builds against when any is missing: jansson
# (JSON), libedit (chat line editing), libcurl (downloads),
# zlib (zip archives), marked + highlight.js (Markdown and code highlighting, embedded in
# the chat page by the build). With TEST=1 also
# what the tests drive: chromium + chromium-driver (browser UI test), pkg-config (install
# test). Quiet when all are there.
set -eu
need=""
have_header() { [ -f "/usr/include/$1" ] || [ -f "/usr/include/x86_64-linux-gnu/$1" ]; }
have_header jansson.h || need="$need libjansson-dev"
have_header editline/readline.h || need="$need libedit-dev"
have_header curl/curl.h || need="$need libcurl4-openssl-dev"
have_header zlib.h || need="$need zlib1g-dev"
[ -f /usr/share/javascript/marked/marked.min.js ] || need="$need libjs-marked"
[ -f /usr/share/javascript/highlight.js/highlight.min.js ] || need="$need libjs-highlight.js"
if [ "${TEST:-0}" = 1 ]; then
    command -v chromium >/dev/null 2>&1 || need="$need chromium"
    command -v chromedriver >/dev/null 2>&1 || need="$need chromium-driver"
    # the reference for Hugging Face models (scripts/torch-venv.sh)
    dpkg -s python3-torch >/dev/null 2>&1 || need="$need python3-torch"
    dpkg -s python3-venv >/dev/null 2>&1 || need="$need python3-venv"
    # what tests/test_install.sh builds a program against the installed library with
    command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
fi
[ -z "$need" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "installing Debian packages:$need"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $need
