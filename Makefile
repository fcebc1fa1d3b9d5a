# outreachd — the two commands an operator needs: `make demo` and `make test`.
# Everything else here is a building block of those two.

BUILD_DIR  ?= build
BUILD_TYPE ?= Debug
WERROR     ?= OFF
SANITIZE   ?= OFF
JOBS       ?= 2
# Tests run more at once than there are cores: most of the end-to-end ones wait on a subprocess or
# the wall clock, not the CPU (a plain build's ctest uses ~1.2 cores at -j2). The sanitizer build's
# tests are CPU-bound, so it keeps to the core count.
TEST_JOBS  ?= $(if $(filter ON,$(SANITIZE)),2,4)
CMAKE_ARGS ?=

# ccache hits survive fresh build directories and clones (docs/architecture.md#build-speed).
export CCACHE_BASEDIR   := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all bootstrap configure build test demo package systemd-test bench fuzz fuzz-build fuzz-smoke clean

all: build

bootstrap:
	@scripts/bootstrap

configure: bootstrap
	@cmake -S . -B $(BUILD_DIR) -G Ninja \
	  -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DOUTREACHD_WERROR=$(WERROR) \
	  -DOUTREACHD_SANITIZE=$(SANITIZE) \
	  $(CMAKE_ARGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(TEST_JOBS)

# The demo builds what it needs itself (scripts/demo build: bootstrap, configure, the outreachd target).
demo:
	@scripts/demo build $(BUILD_DIR)

# A .deb in build-package/ (Release, stripped; only the outreachd target is built, not the tests).
package: bootstrap
	@cmake -S . -B build-package -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build build-package -j $(JOBS) --target outreachd
	@cd build-package && cpack -G DEB

# The .deb booted under a real systemd (debootstrap + systemd-nspawn), through the README's install
# and operator path; root, ~2 minutes plus the build, so not part of `make test` (docs/systemd-test.md).
systemd-test:
	@JOBS=$(JOBS) scripts/systemd-test

bench:
	@$(MAKE) --no-print-directory build BUILD_DIR=build-release BUILD_TYPE=Release
	@scripts/bench build-release

# Coverage-guided fuzzing of every parser that reads outside input (fuzz/README.md): a separate
# clang build (libFuzzer + ASan + UBSan) in build-fuzz/, so the GCC build is untouched. Each
# target replays its regressions and seeds, then fuzzes FUZZ_SECONDS; any finding fails the run.
# FUZZ_TARGETS="url config" picks targets; FUZZ_PARALLEL sets how many run at once.
FUZZ_SECONDS  ?= 60
FUZZ_PARALLEL ?= 2
FUZZ_TARGETS  ?=

fuzz-build: bootstrap
	@JOBS=$(JOBS) fuzz/run.sh build

fuzz: fuzz-build
	@FUZZ_PARALLEL=$(FUZZ_PARALLEL) FUZZ_TARGETS="$(FUZZ_TARGETS)" fuzz/run.sh run $(FUZZ_SECONDS)

# What CI runs: every target for 20 s on its corpus.
fuzz-smoke: fuzz-build
	@FUZZ_PARALLEL=$(FUZZ_PARALLEL) FUZZ_TARGETS="$(FUZZ_TARGETS)" fuzz/run.sh run 20

clean:
	rm -rf build build-asan build-release build-package build-fuzz
