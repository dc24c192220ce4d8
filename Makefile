# profdiff — the two commands users need are `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

# Builds are slow from scratch; keep them outside the checkout so clones share them.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/profdiff/target
export PATH := $(HOME)/.cargo/bin:$(PATH)

# The address comes from one place: PROFDIFF_SITE_ADDR, else `site-addr` in Leptos.toml.
# cargo-leptos is told the same address only so that its "Serving at" line agrees.
SITE_ADDR := $(or $(PROFDIFF_SITE_ADDR),$(shell sed -n 's/^site-addr *= *"\(.*\)".*/\1/p' Leptos.toml))

# End-to-end tests run their own server on a spare port with a throwaway data dir.
E2E_ADDR ?= 127.0.0.1:3917

.PHONY: run test lint unit e2e bench bench-ui screenshots loadtest bootstrap-run bootstrap-test fixtures

## Serve the app (release build) on Leptos.toml's site-addr, files under ./data.
run: bootstrap-run
	LEPTOS_SITE_ADDR=$(SITE_ADDR) cargo leptos serve --release --split --precompress

## Everything: formatting, clippy (ssr + hydrate), Rust tests, Playwright.
test: bootstrap-test lint unit e2e

bootstrap-run:
	@scripts/bootstrap.sh run

bootstrap-test:
	@scripts/bootstrap.sh test

lint:
	cargo fmt --check
	cargo clippy --features ssr --all-targets -- -D warnings
	cargo clippy --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings

unit:
	cargo test --features ssr

e2e:
	rm -rf "$(CARGO_TARGET_DIR)/e2e-data"
	PROFDIFF_SITE_ADDR=$(E2E_ADDR) LEPTOS_SITE_ADDR=$(E2E_ADDR) PROFDIFF_DATA_DIR="$(CARGO_TARGET_DIR)/e2e-data" \
		PROFDIFF_MAX_PROFILES_PER_SESSION=18 \
		cargo leptos end-to-end --split

## Benchmarks (numbers go to docs/BENCHMARKS.md).
BENCH_DUMP := $(CARGO_TARGET_DIR)/bench-data/gen50k.prof
# The same functions with another run's times (the browser's 50,000-function comparison).
BENCH_DUMP_B := $(CARGO_TARGET_DIR)/bench-data/gen50k_b.prof
# A 50,000-function dump shaped like a call tree (gen50k's random edges make a flat, useless one).
FLAME_DUMP := $(CARGO_TARGET_DIR)/bench-data/tree50k.prof
PYTHON311 ?= $(shell command -v pyenv >/dev/null && echo "$$(pyenv root)/versions/3.11.7/bin/python" || echo python3)
bench:
	mkdir -p "$(dir $(BENCH_DUMP))"
	[ -f "$(BENCH_DUMP)" ] || $(PYTHON311) bench/make_big_dump.py "$(BENCH_DUMP)" 50000
	PROFDIFF_BENCH_DUMP="$(BENCH_DUMP)" cargo bench --bench engine
	cargo run --release --example parse_memory -- tests/fixtures/pstats/dumps/dataviewer_before.prof "$(BENCH_DUMP)"
	$(PYTHON311) bench/pstats_cpython.py tests/fixtures/pstats/dumps/dataviewer_before.prof "$(BENCH_DUMP)"

## Browser timings (comparison view in chromium, release build) and bundle sizes.
bench-ui: bootstrap-test
	mkdir -p "$(dir $(BENCH_DUMP))"
	[ -f "$(FLAME_DUMP)" ] || $(PYTHON311) bench/make_tree_dump.py "$(FLAME_DUMP)" 50000
	[ -f "$(BENCH_DUMP)" ] || $(PYTHON311) bench/make_big_dump.py "$(BENCH_DUMP)" 50000
	[ -f "$(BENCH_DUMP_B)" ] || $(PYTHON311) bench/make_big_dump.py "$(BENCH_DUMP_B)" 50000 7
	cargo leptos build --release --split --precompress
	scripts/with_server.sh bash -c 'cd end2end && PROFDIFF_UI_BENCH=1 PROFDIFF_FLAME_DUMP="$(FLAME_DUMP)" PROFDIFF_COMPARE_DUMPS="$(BENCH_DUMP):$(BENCH_DUMP_B)" npx playwright test bench 2>&1 | grep -E "UI-BENCH|passed|failed"'
	@for f in target/site/pkg/*.wasm target/site/pkg/*.js target/site/pkg/profdiff.css; do \
		printf '%-32s %8d bytes raw %8d gzip -9 %8d brotli (served)\n' "$$f" "$$(wc -c <"$$f")" \
			"$$(gzip -9c "$$f" | wc -c)" "$$(wc -c <"$$f.br")"; done

## README screenshots (docs/screenshots/), light, dark and a 375 px phone.
screenshots: bootstrap-test
	cargo leptos build --release --split
	scripts/with_server.sh bash -c 'cd end2end && PROFDIFF_SCREENSHOTS=1 npx playwright test screenshots'

## Load test: a release server on a spare port with a throwaway data dir, 16 clients; once
## with the file store and once with Redis (a redis-server of its own on a spare port).
LOAD_ADDR ?= 127.0.0.1:3918
LOAD_REDIS_PORT ?= 3919
LOAD_ENV = PROFDIFF_SITE_ADDR=$(LOAD_ADDR) PROFDIFF_DATA_DIR="$(CARGO_TARGET_DIR)/load-data" \
	PROFDIFF_MAX_PROFILES_PER_SESSION=1000000 PROFDIFF_MAX_SESSION_MB=1000000 PROFDIFF_MIN_FREE_DISK_MB=0 RUST_LOG=warn
define load_run
	$(LOAD_ENV) $(1) "$(CARGO_TARGET_DIR)/release/profdiff" serve & pid=$$!; \
	trap "kill $$pid $${rpid:-}" EXIT; \
	for i in $$(seq 100); do curl -sf http://$(LOAD_ADDR)/api/health >/dev/null && break; sleep 0.1; done; \
	"$(CARGO_TARGET_DIR)/release/examples/loadtest" http://$(LOAD_ADDR) 16 10
endef
loadtest:
	cargo build --release --features ssr --bin profdiff
	cargo build --release --example loadtest
	rm -rf "$(CARGO_TARGET_DIR)/load-data"
	$(call load_run,)
	redis-server --port $(LOAD_REDIS_PORT) --bind 127.0.0.1 --save "" --appendonly no --daemonize no >/dev/null & rpid=$$!; \
	trap "kill $$rpid" EXIT; sleep 0.5; \
	$(call load_run,PROFDIFF_STORAGE=redis PROFDIFF_REDIS_URL=redis://127.0.0.1:$(LOAD_REDIS_PORT))

## Regenerate the CPython oracle fixtures (needs pyenv's interpreters).
fixtures:
	python3 scripts/gen_pstats_fixtures.py
	python3 -m venv "$(CARGO_TARGET_DIR)/pyspy-venv"
	"$(CARGO_TARGET_DIR)/pyspy-venv/bin/pip" install -q py-spy pyinstrument viztracer
	"$(CARGO_TARGET_DIR)/pyspy-venv/bin/python" scripts/gen_sampled_fixtures.py "$(CARGO_TARGET_DIR)/pyspy-venv/bin/py-spy"
