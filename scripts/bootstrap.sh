#!/usr/bin/env bash
# Installs what profdiff needs and is missing; idempotent and non-interactive.
#
#   scripts/bootstrap.sh run    what `make run` needs: wasm32 target, cargo-leptos,
#                               wasm-bindgen-cli (the version in Cargo.lock), wasm-opt
#   scripts/bootstrap.sh test   all of the above, plus Debian's chromium and redis-server, and
#                               end2end's npm packages (Playwright; it never downloads a browser)
#
# cargo-leptos would otherwise download wasm-bindgen, wasm-opt and sass from GitHub, which
# this machine cannot reach, so each tool is put on PATH first from a package registry.
set -euo pipefail

mode=${1:-run}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

say() { printf 'bootstrap: %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

CARGO_LEPTOS_VERSION=0.3.10   # 0.3.11 needs rustc 1.96
BINARYEN_VERSION=132.0.0

export PATH="$HOME/.cargo/bin:$PATH"

apt_install() {
    if [ "$(id -u)" -ne 0 ] && ! have sudo; then
        say "need root (or sudo) to apt-get install $*"; exit 1
    fi
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    if [ -z "${PROFDIFF_APT_UPDATED:-}" ]; then
        say "apt-get update"
        DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
        export PROFDIFF_APT_UPDATED=1
    fi
    say "installing Debian packages: $*"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# --- Rust side -------------------------------------------------------------------------
# A C compiler: the server binary's allocator (mimalloc) is C, built by the cc crate.
if ! have cc; then
    apt_install gcc libc6-dev
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "installing Rust target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q " $CARGO_LEPTOS_VERSION\$"; then
    say "installing cargo-leptos $CARGO_LEPTOS_VERSION (takes about 10 minutes once)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock (pinned in Cargo.toml).
wbg=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$wbg" ]; then say "cannot find wasm-bindgen in Cargo.lock"; exit 1; fi
if ! wasm-bindgen --version 2>/dev/null | grep -q " $wbg\$"; then
    say "installing wasm-bindgen-cli $wbg"
    # Not --locked: its lockfile pins a crate the registry no longer has.
    cargo install wasm-bindgen-cli --version "$wbg"
fi

# --- wasm-opt for release builds (npm's binaryen ships the binary) ---------------------
if ! wasm-opt --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
    if ! have npm; then apt_install nodejs npm; fi
    say "installing wasm-opt (npm binaryen@$BINARYEN_VERSION)"
    npm install -g --no-audit --no-fund "binaryen@$BINARYEN_VERSION" >/dev/null
fi

if [ "$mode" = "run" ]; then
    say "ready"
    exit 0
fi

# --- Test side -------------------------------------------------------------------------
if ! [ -x /usr/bin/chromium ]; then
    apt_install chromium
fi

# The Redis backend's tests start their own redis-server on a loopback port.
if ! have redis-server || ! have redis-cli; then
    apt_install redis-server
fi

if ! have npm; then apt_install nodejs npm; fi
stamp=end2end/node_modules/.profdiff-lock
if ! [ -f "$stamp" ] || ! cmp -s end2end/package-lock.json "$stamp"; then
    say "installing end2end npm packages (npm ci; no browser download)"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null)
    cp end2end/package-lock.json "$stamp"
fi

say "ready"
