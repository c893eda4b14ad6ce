#!/usr/bin/env bash
# Formats every C++ file in place with clang-format (.clang-format: Google style, 100 columns).
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files '*.cpp' '*.h' | xargs clang-format -i
