# idemload: make demo | test | check | fuzz | bench | format | tidy
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build demo test test-all check fuzz fuzz-build bench format tidy clean
FUZZ_SECONDS ?= 300

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# The course lesson, end to end, on an embedded SQLite database in a fresh folder.
demo: build
	$(BUILD)/idemload demo --dir $(BUILD)/demo

# Every test but the slow ones, against real PostgreSQL and MariaDB servers started for the run,
# then a bounded libFuzzer run over the Parquet reader (clang, ASan+UBSan).
test: build fuzz-build
	bash scripts/test-node-deps.sh
	bash scripts/with-test-servers.sh ctest --test-dir $(BUILD) -LE slow --output-on-failure -j $(JOBS) --timeout 600
	ctest --test-dir build-fuzz -L fuzz --output-on-failure

# The fuzz targets in their own clang build; `make fuzz FUZZ_SECONDS=N` runs them longer.
fuzz-build: deps
	@test -f build-fuzz/build.ninja || cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++ -DIDEMLOAD_FUZZ=ON -DIDEMLOAD_TESTS=ON
	cmake --build build-fuzz -j $(JOBS) --target parquet_reader_fuzz

fuzz: fuzz-build
	rm -rf build-fuzz/fuzz/corpus-long && mkdir -p build-fuzz/fuzz/corpus-long
	find ../shared/fixtures/parquet -name '*.parquet' -size -400k -exec cp {} build-fuzz/fuzz/corpus-long/ \;
	build-fuzz/fuzz/parquet_reader_fuzz -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=20 build-fuzz/fuzz/corpus-long

# Everything, including the slow label (long fault matrices).
test-all: build
	bash scripts/test-node-deps.sh
	bash scripts/with-test-servers.sh ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# Warnings as errors, ASan+UBSan.
check: deps
	cmake -S . -B build-check -G Ninja -DCMAKE_BUILD_TYPE=Debug -DIDEMLOAD_WERROR=ON -DIDEMLOAD_SANITIZE=ON
	cmake --build build-check -j $(JOBS)
	bash scripts/test-node-deps.sh
	bash scripts/with-test-servers.sh ctest --test-dir build-check -LE slow --output-on-failure -j $(JOBS)

# The speed benchmark (issue 6, bench/run.sh): idemload against the databases' own idempotent
# paths and DuckDB on the same generated EDGAR data. 10 M rows; `make bench ROWS=200000` is quick,
# `make bench REPEAT=3` reports the median of three rounds.
bench:
	bash bench/run.sh --build build-bench $(if $(ROWS),--rows $(ROWS)) $(if $(REPEAT),--repeat $(REPEAT))

format:
	bash scripts/format.sh

tidy:
	bash scripts/tidy.sh $(BUILD)

clean:
	rm -rf $(BUILD) build-check build-fuzz build-bench
