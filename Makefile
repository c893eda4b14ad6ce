# idemload: make demo | test | check | fuzz | bench | format | tidy
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build demo test test-all check fuzz bench format tidy clean

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

# Every test but the slow ones, against real PostgreSQL and MariaDB servers started for the run.
test: build
	bash scripts/test-node-deps.sh
	bash scripts/with-test-servers.sh ctest --test-dir $(BUILD) -LE slow --output-on-failure -j $(JOBS) --timeout 600

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

format:
	bash scripts/format.sh

tidy:
	bash scripts/tidy.sh $(BUILD)

clean:
	rm -rf $(BUILD) build-check build-fuzz build-bench
