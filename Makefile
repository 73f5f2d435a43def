# Top-level entry points. The README's two commands are `make demo` and
# `make check`; both install missing Debian packages first.
#
#   make            build build/bin/* (RelWithDebInfo)
#   make demo       build, then run the main job on its embedded default
#   make check      lint, then build and run every test: plain, ASan+UBSan,
#                   fuzzers
#   make install PREFIX=/usr/local
#   make bench      run the benchmarks in bench/
#   make format     clang-format every source file

PREFIX ?= /usr/local
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 20

.PHONY: all deps build demo check lint test test-asan fuzz install bench format clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j$(JOBS)

demo: build
	@bash scripts/demo.sh

test: build
	@cd build && ctest --output-on-failure -j$(JOBS)

test-asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=ON >/dev/null
	@cmake --build build-asan -j$(JOBS)
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j$(JOBS)

fuzz: deps
	@CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=ON \
	  -DFUZZ=ON >/dev/null
	@cmake --build build-fuzz -j$(JOBS) --target fuzzers
	@bash scripts/run-fuzz.sh build-fuzz $(FUZZ_SECONDS)

lint:
	@bash scripts/lint.sh

check: lint test test-asan fuzz
	@echo "check: all suites passed"

install: build
	@cmake --install build --prefix $(PREFIX)

bench: build
	@bash bench/run.sh

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	@rm -rf build build-asan build-fuzz
