#!/usr/bin/env bash
# Installs everything a fresh machine lacks to build, test, demo and benchmark latebind.
# Idempotent and quick on a second run: each step checks before it acts.
#   - Debian packages through apt-get (the machine runs as root; sudo is used when not).
#   - A project-local .venv with pinned Python packages; Arrow C++ and Parquet come from
#     the pyarrow wheel in it (headers + shared libraries, see ADR-002).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libsimdjson-dev libcli11-dev libfmt-dev libspdlog-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev libzstd-dev libsqlite3-dev libxxhash-dev nlohmann-json3-dev
  libboost1.81-dev libssl-dev
  python3-venv clang-format
  wrk nginx
  openjdk-17-jre-headless
)
PY_REQUIREMENTS=scripts/requirements.txt

need_apt=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$p")
done
if ((${#need_apt[@]})); then
  echo "bootstrap: installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

# The venv is rebuilt only when the pinned requirements change (stamp = their hash).
stamp=".venv/.requirements.sha256"
want="$(sha256sum "$PY_REQUIREMENTS" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: creating .venv with $(tr '\n' ' ' < "$PY_REQUIREMENTS")"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r "$PY_REQUIREMENTS"
  # The wheel ships libarrow.so.<N>; CMake and the linker want the unversioned names.
  .venv/bin/python -c "import pyarrow; pyarrow.create_library_symlinks()"
  echo "$want" > "$stamp"
fi
