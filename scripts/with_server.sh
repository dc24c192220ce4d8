#!/usr/bin/env bash
# Runs a command against a release profdiff server of its own: a spare loopback address
# (PROFDIFF_SITE_ADDR, default 127.0.0.1:3921), a throwaway data dir, stopped afterwards.
# Used by `make bench-ui` and `make screenshots`; build first with `cargo leptos build --release --split`.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$HOME/.cache/profdiff/target}"
export PROFDIFF_SITE_ADDR="${PROFDIFF_SITE_ADDR:-127.0.0.1:3921}"
data="$(mktemp -d)"
PROFDIFF_DATA_DIR="$data" LEPTOS_OUTPUT_NAME=profdiff LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
  LEPTOS_SITE_ADDR="$PROFDIFF_SITE_ADDR" RUST_LOG="${RUST_LOG:-warn}" "$target/release/profdiff" serve &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do
  curl -fs "http://$PROFDIFF_SITE_ADDR/api/health" >/dev/null && break
  sleep 0.2
done
"$@"
