# tilefarm: `make demo` and `make test` set up everything first (idempotent; seconds when done).
SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT := $(abspath .)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
TOOLS := $(ROOT)/.tools
PYTHON ?= python3
export SOLCX_BINARY_PATH := $(TOOLS)/solcx
export PATH := $(TOOLS)/bin:$(ROOT)/tools/node_modules/.bin:$(VENV)/bin:$(PATH)
# Brownie's pytest plugin compiles the project and starts a chain: only the contract suite wants it.
PLAIN_PYTEST := $(PY) -m pytest -p no:pytest-brownie

.PHONY: help setup demo test test-core test-lane-chain schemathesis test-contracts lint devnet-up devnet-down clean addon

help:
	@echo "make demo   set up, start the local stack, server and 3 workers, render a job end to end"
	@echo "make test   set up and run every test (core, adapters, Blender, browser, drills, contracts)"
	@echo "make setup  install the pinned stack only (venv, solc, anvil, Kubo, Chromium, the page)"
	@echo "make lint   ruff, mypy and slither"

setup: $(VENV)/.installed $(TOOLS)/bin/anvil $(TOOLS)/bin/ipfs \
       $(TOOLS)/solcx/solc-v0.8.37 $(TOOLS)/.syslibs $(TOOLS)/.chromium $(TOOLS)/.postgresql \
       frontend/dist/index.html \
       $(TOOLS)/.forge build/contracts/JobMarket.json
	@$(VENV)/bin/brownie networks list 2>/dev/null | grep -q tilefarm-test || \
	  $(VENV)/bin/brownie networks add development tilefarm-test cmd=anvil \
	    host=http://127.0.0.1 port=18545 accounts=10 gas_limit=30000000 base_fee=0 >/dev/null
	@echo "setup: ready"

# Exact pins, no resolver: eth-brownie pins python-dotenv 0.16 while pydantic-settings asks for a
# newer one it does not need here (we read no .env files). See README, design notes.
$(VENV)/.installed: requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "tilefarm needs CPython 3.11 (bpy 5.0.1)"'
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

tools/node_modules/.installed: tools/package.json tools/package-lock.json
	npm ci --prefix tools --no-audit --no-fund --loglevel=error
	touch $@

# The npm package's launcher is a node script; link the native binary it wraps instead, behind
# tools/anvil.sh, which keeps anvil from writing old states to disk.
$(TOOLS)/bin/anvil: tools/node_modules/.installed tools/anvil.sh
	mkdir -p $(@D)
	ln -sf $$(ls -d $(ROOT)/tools/node_modules/@foundry-rs/anvil-*/bin/anvil | head -n 1) $(@D)/anvil-native
	rm -f $@ && install -m 755 tools/anvil.sh $@
	$@ --version | head -n 1

$(TOOLS)/bin/ipfs: tools/build-kubo.sh
	bash tools/build-kubo.sh $@

$(TOOLS)/solcx/solc-v0.8.37: tools/solc-wrapper.sh
	mkdir -p $(@D)
	sed 's#@TOOLS_DIR@#$(ROOT)/tools#' $< > $@
	chmod +x $@

# The contracts, compiled once before the tests (devnets and the page's stale-ABI test then find
# the build current instead of compiling side by side).
CONTRACT_SOURCES := $(shell find contracts -name '*.sol')
build/contracts/JobMarket.json: $(CONTRACT_SOURCES) $(VENV)/.installed $(TOOLS)/solcx/solc-v0.8.37 \
    tools/node_modules/.installed
	$(VENV)/bin/brownie compile >/dev/null
	touch $@

# Debian packages, installed only when missing: through apt as root; a user who is not root is
# shown the exact line to run and setup stops (nothing is missing: nothing is asked).
apt_install = if [ "$$(id -u)" -eq 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(1); \
	else \
	  echo "setup: missing Debian packages; run: sudo apt-get install -y --no-install-recommends $(1)" >&2; \
	  exit 1; \
	fi

# bpy links against a few X11/GL libraries; install them through apt only when it cannot load.
BPY_LIBS := libx11-6 libxi6 libxxf86vm1 libxfixes3 libxrender1 libxkbcommon0 libsm6 libgl1 libegl1 libgomp1
$(TOOLS)/.syslibs: $(VENV)/.installed
	@if ! $(PY) -c 'import bpy' >/dev/null 2>&1; then \
	  $(call apt_install,$(BPY_LIBS)); \
	fi
	$(PY) -c 'import bpy' && touch $@

# The browser tests drive Debian's Chromium (headless, /usr/bin/chromium) through Playwright.
$(TOOLS)/.chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  $(call apt_install,chromium); \
	fi
	mkdir -p $(@D)
	/usr/bin/chromium --version 2>/dev/null && touch $@

# PostgreSQL, the server's second database: the tests start throw-away clusters with its initdb
# and postgres (docs/database.md). bubblewrap: the Blender child's sandbox. systemd: the tests
# check the units in deploy/systemd with its systemd-analyze.
PG_INITDB = $$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -n 1)
$(TOOLS)/.postgresql:
	@if [ -z "$(PG_INITDB)" ] || [ ! -x /usr/bin/bwrap ] || [ ! -x /usr/bin/systemd-analyze ]; then \
	  $(call apt_install,postgresql bubblewrap systemd); \
	fi
	mkdir -p $(@D)
	@"$(PG_INITDB)" --version && /usr/bin/bwrap --version && /usr/bin/systemd-analyze --version \
	  | head -n 1 && touch $@

# The artist's page: TypeScript built by Vite into frontend/dist, which `tilefarm serve` serves.
frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	npm ci --prefix frontend --no-audit --no-fund --loglevel=error
	touch $@

FRONTEND_SOURCES := $(wildcard frontend/src/*.ts frontend/src/*/*.ts frontend/src/*.css) \
	frontend/index.html frontend/vite.config.ts frontend/tsconfig.json
frontend/dist/index.html: frontend/node_modules/.installed $(FRONTEND_SOURCES)
	npm run --prefix frontend --silent build -- --logLevel warn

# DEMO_ARGS passes options through, e.g. DEMO_ARGS="--json" or "--port 8001" (see docs/demo.md).
demo: setup
	$(VENV)/bin/tilefarm demo $(DEMO_ARGS)

test: setup test-core

# Two lanes on two cores keep `make test` under 20 minutes: the Blender, browser, worker and drill
# tests in one, two test files at a time (`--dist loadfile`: a file's tests share its stack; most
# of their time is spent waiting for chain windows; the longest files first, tests/conftest.py's
# LONGEST_FIRST); the marketplace's tests, which drive their own
# chains by explicit clock moves (not wall-clock windows), and two drills (CHAIN_LANE_DRILLS, one
# file at a time), then the schema fuzzing, the contracts
# (Brownie, port 18545, used by no other test) and the invariant campaign in the other. Both lanes
# run to the end; either failing fails the target (5, "nothing selected" by PYTEST_ARGS, does not).
test-core: setup
	@$(MAKE) --no-print-directory test-lane-chain & lane=$$!; \
	$(PLAIN_PYTEST) tests --ignore=tests/contracts --ignore=tests/marketplace \
		$(foreach f,$(CHAIN_LANE_DRILLS),--ignore=$(f)) -n 2 --dist loadfile \
		--no-loadscope-reorder --durations=25 $(PYTEST_ARGS); \
	rest=$$?; wait $$lane; lane=$$?; \
	echo "test-core: marketplace, schema, contracts and invariants exit $$lane, the rest exit $$rest"; \
	for code in $$rest $$lane; do test $$code -eq 0 -o $$code -eq 5 || exit 1; done

# Two drills that keep their own stacks run in the marketplace's lane, which has more room.
CHAIN_LANE_DRILLS := tests/drills/test_burst.py tests/drills/test_scene_between_nodes.py

test-lane-chain:
	@$(PLAIN_PYTEST) tests/marketplace $(CHAIN_LANE_DRILLS) --durations=25 $(PYTEST_ARGS); market=$$?; \
	test $$market -eq 0 -o $$market -eq 5 || exit 1
	@$(MAKE) --no-print-directory schemathesis test-contracts test-invariants

# Fuzz the marketplace's OpenAPI schema against a server on its own devnet: no 5xx. schemathesis
# lives in its own tool venv: its pins clash with Brownie's.
ST_VENV := $(TOOLS)/schemathesis
$(ST_VENV)/.installed:
	$(PYTHON) -m venv $(ST_VENV)
	$(ST_VENV)/bin/pip install --quiet --disable-pip-version-check schemathesis==4.32.5
	touch $@

schemathesis: setup $(ST_VENV)/.installed
	$(PY) -m tests.marketplace.schemathesis_run --st $(ST_VENV)/bin/st

test-contracts:
	$(VENV)/bin/brownie test --network tilefarm-test $(PYTEST_ARGS)

# Invariant campaigns on the market (foundry/test) with forge, offline: it compiles through the same
# solc wrapper as Brownie (foundry.toml) and takes forge-std from the Go module proxy.
# `test-invariants` is CI's short, fixed-seed campaign; `fuzz` the long one (10,000 runs of 100 calls).
FORGE := $(TOOLS)/bin/forge
FORGE_STD_VERSION := v1.9.7
.PHONY: test-invariants fuzz

$(FORGE): tools/node_modules/.installed
	mkdir -p $(@D)
	ln -sf $$(ls -d $(ROOT)/tools/node_modules/@foundry-rs/forge-*/bin/forge | head -n 1) $@
	$@ --version | head -n 1

$(TOOLS)/forge-std/.$(FORGE_STD_VERSION): tools/fetch-forge-std.sh
	bash tools/fetch-forge-std.sh $(FORGE_STD_VERSION) $(@D)
	touch $@

$(TOOLS)/.forge: $(FORGE) $(TOOLS)/forge-std/.$(FORGE_STD_VERSION) $(TOOLS)/solcx/solc-v0.8.37
	touch $@

test-invariants: $(TOOLS)/.forge
	FOUNDRY_PROFILE=ci $(FORGE) test --no-match-test invariant_allProperties $(FORGE_ARGS)

fuzz: $(TOOLS)/.forge
	FOUNDRY_PROFILE=fuzz $(FORGE) test --match-test invariant_allProperties --summary -vv $(FORGE_ARGS)

# Honest renders on this machine's devices and CPU kernels as the verifier's judge sees them, and
# the fraud each tolerance lets through (bench/crossdevice.py; minutes). BENCH_ARGS="--json".
.PHONY: bench-crossdevice
bench-crossdevice: setup
	$(PY) -m bench.crossdevice $(BENCH_ARGS)

# The market at 10,000 jobs and 1,000,000 tiles: indexing rate, the page's API p50/p99 on SQLite and
# PostgreSQL at 200 requests/s, the audit ledger's time, the server's memory (bench/scale.py,
# docs/scale.md; about 20 minutes on 2 cores). BENCH_ARGS="--jobs 2000" for a smaller market.
.PHONY: bench-scale
bench-scale: setup
	$(PY) -m bench.scale --json $(BENCH_ARGS)

lint: setup
	$(VENV)/bin/ruff check tilefarm tilefarm_cli marketplace render_worker tests bench scripts addon
	$(VENV)/bin/mypy
	$(MAKE) slither

# Slither in a venv of its own (its pins clash with Brownie's). It reads Brownie's build, which is
# rebuilt in full first: incremental builds can leave source maps that no longer match the files.
# Medium and high findings fail the build; those left are explained where slither-disable sits.
SLITHER := $(TOOLS)/slither/bin/slither
$(SLITHER):
	$(PYTHON) -m venv $(TOOLS)/slither
	$(TOOLS)/slither/bin/pip install --quiet --disable-pip-version-check slither-analyzer==0.11.6
	touch $@

.PHONY: slither
slither: setup $(SLITHER)
	$(VENV)/bin/brownie compile --all >/dev/null
	$(SLITHER) . --compile-force-framework brownie --ignore-compile --exclude-informational \
	  --exclude-low --exclude-optimization --fail-medium

# The Blender add-on as an extension, installable from the zip (docs/addon.md):
# build/addon/tilefarm-<version>.zip, the same bytes for the same sources.
addon: $(VENV)/.installed
	$(PY) scripts/build_addon.py

devnet-up: setup
	$(VENV)/bin/tilefarm devnet up --detach

devnet-down:
	$(VENV)/bin/tilefarm devnet down

clean:
	-$(VENV)/bin/tilefarm devnet down 2>/dev/null
	rm -rf $(VENV) $(TOOLS) tools/node_modules frontend/node_modules frontend/dist build reports .tilefarm .forge
