# One task runner for people and CI. `make run` starts the whole system locally; `make test`
# runs every test. Both crates trees (the root workspace and the standalone vep-function) share
# one target directory so dependencies compile once.

SHELL := /bin/bash
export CARGO_TARGET_DIR ?= $(CURDIR)/target
export CARGO_INCREMENTAL ?= 0
CARGO ?= cargo
FUNCTION := --manifest-path vep-function/Cargo.toml

GATEWAY_PORT ?= 8080
EVENTS_PORT ?= 8081
FUNCTION_PORT ?= 8090

.PHONY: all build build-release run test test-unit test-e2e lint fmt clippy bench clean

all: build

build:
	$(CARGO) build --workspace --bins
	$(CARGO) build $(FUNCTION) --bins

build-release:
	$(CARGO) build --release --workspace --bins
	$(CARGO) build --release $(FUNCTION) --bins

## Start vep-function and the gateway wired directly over HTTP CloudEvents (no cluster).
run: build-release
	GATEWAY_PORT=$(GATEWAY_PORT) EVENTS_PORT=$(EVENTS_PORT) FUNCTION_PORT=$(FUNCTION_PORT) \
		scripts/run-local.sh "$(CARGO_TARGET_DIR)/release"

## Every test: unit tests of both crates, then the cross-process tests against the real binaries.
test: build test-unit test-e2e

test-unit:
	$(CARGO) test $(FUNCTION) --locked
	$(CARGO) test --workspace --locked --lib --bins

test-e2e:
	$(CARGO) test -p e2e --locked --tests

lint: fmt clippy

fmt:
	$(CARGO) fmt --all --check
	$(CARGO) fmt $(FUNCTION) --all --check

clippy:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) clippy $(FUNCTION) --all-targets --locked -- -D warnings

clean:
	$(CARGO) clean
