# Top-level entry points. The README's two commands are `make demo` and
# `make check`; both install missing Debian packages first.
#
#   make            build build/bin/* (RelWithDebInfo)
#   make demo       build, then run the main job on its embedded default
#   make check      lint, then build and run every test: plain, ASan+UBSan,
#                   TSan (threaded parts), fuzzers
#   make install PREFIX=/usr/local
#   make bench      run the benchmarks in bench/
#   make coverage   build with --coverage in build-cov, run every test, print
#                   line and branch coverage of src/ (gcovr; not in check)
#   make format     clang-format every source file

PREFIX ?= /usr/local
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
# Tests wait on servers and timers far more than they compute: one more
# test than cores keeps the machine busy (they are written for a loaded one).
TEST_JOBS ?= $(shell echo $$(( $(JOBS) + 1 )))
FUZZ_SECONDS ?= 20

.PHONY: all deps test-deps build demo check lint test test-asan test-tsan fuzz coverage install bench format clean

all: build

deps:
	@bash scripts/install-deps.sh

test-deps:
	@bash scripts/install-deps.sh --test

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j$(JOBS)

demo: build
	@bash scripts/demo.sh

test: test-deps build
	@cd build && ctest --output-on-failure -j$(TEST_JOBS)

# The orchestration tests (manage_all.sh, the runbooks run verbatim, the
# whole pipeline under faults, the PostgreSQL crash run) run once, in the
# plain stage: the daemons they start are exercised under the sanitizers by
# their own e2e tests (test_hot_*, test_cold_*, test_pipeline_pub*,
# test_qte_core_crash, test_qte_serve_admin, ...).
ASAN_EXCLUDE = e2e.test_manage_all|e2e.test_runbook00[23]|e2e.test_pipeline_e2e_|e2e.test_qte_ops_pg_crash

test-asan: test-deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=ON >/dev/null
	@cmake --build build-asan -j$(JOBS)
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j$(TEST_JOBS) -E '$(ASAN_EXCLUDE)'

# ThreadSanitizer over the threaded parts: queue, writer, and the real daemon
# (event loop + writer + HTTP threads) in the e2e scenarios that stress them;
# hot-store (fetch + insert threads), cold-store, the engine's control API
# and its live JetStream feed (NATS callback, keeper thread, ring).
TSAN_TESTS = unit.test_collector_(queue|writer|faults)|e2e.test_collector_(steady|http|locked|watchdog|faults|telegram)|unit.test_qte_(control|live_ring)|e2e.test_qte_source_live|e2e.test_hot_(steady|clickhouse_down)|e2e.test_cold_replicate

test-tsan: test-deps
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DTSAN=ON >/dev/null
	@cmake --build build-tsan -j$(JOBS) --target hk-tick-collector hk-tickctl opend-sim \
	  hot-store cold-store hk-nats-pub test_collector_queue test_collector_writer \
	  test_collector_faults test_qte_control test_qte_live_ring qte-engine \
	  hk-nats-dump strategy_ma_cross
	@cd build-tsan && TSAN_OPTIONS=halt_on_error=1:exitcode=66 \
	  ctest --output-on-failure -j$(TEST_JOBS) -R '$(TSAN_TESTS)'

fuzz: test-deps
	@CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=ON \
	  -DFUZZ=ON >/dev/null
	@cmake --build build-fuzz -j$(JOBS) --target fuzzers
	@bash scripts/run-fuzz.sh build-fuzz $(FUZZ_SECONDS)

# Coverage of src/ by the whole suite (unit + e2e). Counters start from zero
# on every run; the suite's result is the target's result, but the totals
# are printed either way.
coverage: test-deps
	@cmake -S . -B build-cov -DCMAKE_BUILD_TYPE=Debug -DCOVERAGE=ON >/dev/null
	@cmake --build build-cov -j$(JOBS)
	@find build-cov -name '*.gcda' -delete
	@cd build-cov && ctest --output-on-failure -j$(JOBS); rc=$$?; cd .. && \
	  gcovr -r . --object-directory build-cov --filter 'src/' \
	    --exclude-unreachable-branches --txt build-cov/coverage.txt \
	    --print-summary -j$(JOBS) && \
	  echo "coverage: per-file report in build-cov/coverage.txt" && exit $$rc

lint: test-deps
	@bash scripts/lint.sh

check: lint test test-asan test-tsan fuzz
	@echo "check: all suites passed"

install: build
	@cmake --install build --prefix $(PREFIX)

bench: build
	@bash bench/run.sh

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	@rm -rf build build-asan build-tsan build-fuzz build-cov
