# hactl: `make demo` and `make test` are the Quick start; both install what they need (apt, idempotent).
SHELL := /bin/bash
SWIFT ?= swift
LAB := examples/three-controller/lab.sh
export HACTL_BIN ?= $(CURDIR)/.build/debug/hactl

.PHONY: all deps build release test unit integration fuzz demo bench lab-down clean

all: build

deps:
	@bash scripts/install-deps.sh build lab

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Every test: unit tests and the integration tests (root, network namespaces, real servers), after a
# build that fails on any compiler warning in Sources/ or Tests/ (scripts/check-warnings.sh).
test: deps
	@bash scripts/require-root.sh "make test (integration tests use network namespaces)"
	SWIFT=$(SWIFT) bash scripts/check-warnings.sh
	$(SWIFT) test --no-parallel
	SWIFT=$(SWIFT) bash scripts/fuzz.sh quick

unit: deps
	$(SWIFT) test --skip IntegrationTests

integration: deps
	@bash scripts/require-root.sh "make integration"
	$(SWIFT) build --build-tests
	$(SWIFT) test --no-parallel --filter IntegrationTests

# libFuzzer targets (docs/testing.md "Fuzzing"): FUZZ_SECONDS of each (default 60); FUZZ_TARGETS to choose.
FUZZ_SECONDS ?= 60
fuzz: deps
	SWIFT=$(SWIFT) FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh long

demo: build
	@bash scripts/require-root.sh "make demo (it builds a lab of network namespaces)"
	bash examples/three-controller/demo.sh

bench:
	@bash scripts/install-deps.sh build lab bench
	$(SWIFT) build -c release
	@for b in bench/*.sh; do echo "== $$b"; HACTL_BIN=$(CURDIR)/.build/release/hactl bash $$b || exit 1; done

lab-down:
	bash $(LAB) down

clean:
	rm -rf .build .build-fuzz
