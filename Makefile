# Thin wrapper over CMake. `make run` and `make test` are the README's quick start: both
# install missing Debian build dependencies first (scripts/install-deps.sh).
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
CMAKE_ARGS ?=
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: all deps configure build run test check-format format clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD) -j$(JOBS)

run: build
	./$(BUILD)/logstream -c conf.d

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) $(CTEST_ARGS)

check-format:
	@scripts/check-format.sh

format:
	@scripts/check-format.sh --fix

clean:
	rm -rf $(BUILD)
