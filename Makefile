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

.PHONY: all build build-release run reference reference-clinvar mirror test test-unit test-e2e test-manifests test-browser test-setup images lint fmt clippy bench fuzz chaos clean

all: build

build:
	$(CARGO) build --workspace --bins
	$(CARGO) build $(FUNCTION) --bins

build-release:
	$(CARGO) build --release --workspace --bins
	$(CARGO) build --release $(FUNCTION) --bins

## Start vep-function and the gateway wired directly over HTTP CloudEvents (no cluster).
## REFERENCE=DIR serves a reference made by `make reference` (default: the bundled regions).
run: build-release
	GATEWAY_PORT=$(GATEWAY_PORT) EVENTS_PORT=$(EVENTS_PORT) FUNCTION_PORT=$(FUNCTION_PORT) \
		REFERENCE="$(REFERENCE)" scripts/run-local.sh "$(CARGO_TARGET_DIR)/release"

## Whole genome: download a release (checked against its published checksums, resumable),
## re-compress the genome to BGZF and build the index, into REFERENCE (default
## reference/ASSEMBLY-SOURCE-RELEASE). BASE_URL: a mirror (e.g. the one `make mirror` serves).
SOURCE ?= ensembl
ASSEMBLY ?= GRCh38
RELEASE ?= $(if $(filter refseq,$(SOURCE)),110,115)
REFERENCE_OUT = $(or $(REFERENCE),$(CURDIR)/reference/$(ASSEMBLY)-$(SOURCE)-$(RELEASE))
reference:
	$(CARGO) build --release $(FUNCTION) --bins
	"$(CARGO_TARGET_DIR)/release/vep-function" reference fetch --source $(SOURCE) \
		--assembly $(ASSEMBLY) --release $(RELEASE) --out "$(REFERENCE_OUT)" \
		$(if $(BASE_URL),--base-url "$(BASE_URL)")

## ClinVar's GRCh38 VCF + .tbi (checked against ClinVar's md5) into the reference directory
## REFERENCE (default as above), served as the custom source ClinVar by `make run REFERENCE=DIR`.
## CLINVAR_RELEASE: latest or YYYYMMDD. BASE_URL: a mirror of NCBI's tree.
CLINVAR_RELEASE ?= latest
reference-clinvar:
	$(CARGO) build --release $(FUNCTION) --bins
	"$(CARGO_TARGET_DIR)/release/vep-function" reference clinvar --out "$(REFERENCE_OUT)" \
		--release $(CLINVAR_RELEASE) $(if $(BASE_URL),--base-url "$(BASE_URL)")

## The bundled regions laid out like the Ensembl and NCBI download trees, served on loopback
## (offline `make reference BASE_URL=http://127.0.0.1:$(MIRROR_PORT)/ensembl/`).
MIRROR_PORT ?= 8070
mirror:
	$(CARGO) run -p e2e --bin mirror -- --port $(MIRROR_PORT) --dir "$(CARGO_TARGET_DIR)/mirror"

## Every test: unit tests of both crate trees (vep-function's includes the shared `contract`
## crate, vep-function/contract), then the cross-process tests against the real binaries.
test: build test-unit test-e2e test-manifests test-browser

## What the tests need besides Rust: a venv with a real MLServer (scoring tests), bcftools
## (cross-checks sequence-called variants against `bcftools norm`) and htslib's bgzip/tabix
## (custom annotation sources).
test-setup:
	bash tests/mlserver/setup.sh
	bash tests/sequence/setup.sh
	bash tests/custom/setup.sh

test-unit: test-setup
	$(CARGO) test $(FUNCTION) --workspace --locked
	$(CARGO) test --workspace --locked --lib --bins

## tests/tests/genome.rs needs the genome-scale world, chr21 + chr22 (tests/genome/setup.sh: a
## PyPI venv in .artifacts and ~110 MB under the target dir, built once: ~20 s of CPU).
GENOME_WORLD_CI ?= $(CARGO_TARGET_DIR)/genome-world/chr21_22
test-e2e:
	bash scripts/setup-redis.sh
	bash tests/genome/setup.sh "$(GENOME_WORLD_CI)" chr21,chr22 1000
	GENOME_WORLD_CI="$(GENOME_WORLD_CI)" $(CARGO) test -p e2e --locked --tests

## Manifests: real kustomize render, CRD/K8s/func schemas, wiring checked against the Rust
## sources. The first run installs its venv from PyPI.
test-manifests:
	tests/manifests/run.sh

## The page in a real headless Chromium (Debian package, installed by setup.sh) against the real
## gateway + vep-function.
test-browser: build test-setup
	tests/browser/setup.sh
	tests/browser/run.sh "$(CARGO_TARGET_DIR)/debug"

images:
	config/images.sh

## cargo-fuzz targets (parsers, protocol decoder, event data), FUZZ_SECONDS each.
fuzz:
	scripts/fuzz.sh

## Fault injection + hostile input against the real processes, with a per-fault count check
## (every submitted variant ends exactly once as a result or a typed error). Also part of test-e2e.
chaos:
	bash scripts/chaos.sh

lint: fmt clippy

fmt:
	$(CARGO) fmt --all --check
	$(CARGO) fmt $(FUNCTION) --all --check

clippy:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) clippy $(FUNCTION) --workspace --all-targets --locked -- -D warnings

clean:
	$(CARGO) clean

# Engine vs bcftools csq on >= 1M generated variants; gateway vs an actix-ws echo server; 100k
# variants uploaded end to end vs the engine CLI; sustained pipeline load vs the function alone;
# the genome-scale world (index, cold start, readiness, RSS, 1M variants with threads vs bcftools
# csq; 100k of its variants uploaded end to end vs the engine CLI on the same index; 1M
# variants with a custom (ClinVar-style) source vs without, on both worlds; GENOME_WORLD=DIR
# reuses a prebuilt world, else one is built under the target dir).
# Heavy: release builds. Figures go to BENCHMARKS.md / RELIABILITY.md by hand.
BENCH_VARIANTS ?= 1000000
bench:
	bench/engine.sh $(BENCH_VARIANTS)
	bash bench/gateway.sh
	bash bench/pipeline.sh
	bash bench/pipeline_load.sh
	bash bench/genome.sh
	bash bench/pipeline_genome.sh
	bash bench/custom.sh
