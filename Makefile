# The README's two commands: `make demo` and `make test`. Each installs what it needs.
BUILD ?= build
JOBS ?= $(shell nproc)
PY := .venv/bin/python

.PHONY: all bootstrap build test unit e2e format-check demo bench fuzz clean

all: build

bootstrap:
	@bash scripts/bootstrap.sh

build: bootstrap
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

e2e: build
	$(PY) -m pytest -q tests/e2e bench/test_gen_bank.py bench/test_gen_promote.py

# Style is checked, not negotiated: clang-format (Google base, 100 columns, .clang-format).
format-check: bootstrap
	@clang-format --dry-run --Werror $$(git ls-files '*.cc' '*.h')

test: format-check unit e2e

demo: build
	@bash scripts/demo.sh

bench: build
	$(PY) bench/profile_bench.py --latebind $(BUILD)/latebind \
	  --baseline $(BUILD)/bench/simdjson_parse_baseline --data-dir $(BUILD)/bench-data \
	  --mb 200 --runs 5 --threads 2
	$(PY) bench/promote_bench.py --latebind $(BUILD)/latebind --data-dir $(BUILD)/bench-data \
	  --mb 200 --runs 3 --threads 2
	$(PY) bench/ingest_bench.py --latebind $(BUILD)/latebind --duration 20 --connections 64 --wal
	$(PY) bench/registry_bench.py --latebind $(BUILD)/latebind --duration 20 --rate 1000 --wal

# libFuzzer needs clang: a separate build tree, run for a minute per target.
fuzz: bootstrap
	@bash scripts/fuzz.sh

clean:
	rm -rf $(BUILD) build-fuzz
