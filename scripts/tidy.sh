#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy) over the sources, using the build's compile_commands.json.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
git ls-files 'src/*.cpp' | grep -v '_test.cpp$' | xargs clang-tidy -p "$BUILD" --quiet
