#!/usr/bin/env bash
# Installs idemload's build and test dependencies from Debian 12's packages. Idempotent: only
# what is missing is installed. Run as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git clang libclang-rt-14-dev
  libsqlite3-dev sqlite3 libpq-dev libmariadb-dev
  libsnappy-dev libzstd-dev liblz4-dev libbrotli-dev zlib1g-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev libcurl4-openssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql mariadb-server mariadb-client curl procps python3
)
# Node.js and npm run the test peers (DuckDB, an SMTP receiver). Many machines have them from
# elsewhere (Debian's npm package then conflicts), so Debian's are installed only when missing.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing: ${missing[*]}"
# The packages' own services must not start (tests run private instances on their own ports).
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
