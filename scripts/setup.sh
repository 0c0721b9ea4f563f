#!/usr/bin/env bash
# Installs what codeexec needs on Debian 12, with apt, skipping what is already installed.
#
#   scripts/setup.sh          build tools and libraries, and Debian's python3 with numpy and
#                             matplotlib (for the seed example)
#   scripts/setup.sh --test   also every language toolchain the test suite runs
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  nlohmann-json3-dev libcli11-dev libfmt-dev libexpected-dev
  libgtest-dev libgmock-dev libbenchmark-dev libseccomp-dev
  libzmq3-dev cppzmq-dev libssl-dev libboost1.81-dev
  python3 python3-numpy python3-matplotlib python3-venv
  # The Python package (`pip install ./python` builds its extension offline with these).
  python3-dev pybind11-dev python3-pip python3-setuptools python3-wheel
)
if [[ "${1:-}" == "--test" ]]; then
  # The languages of the built-in table (pwsh has no Debian package).
  packages+=(
    bash nodejs ruby perl php-cli lua5.4 r-base-core gcc g++ golang-go rustc
    default-jdk-headless
  )
  # The Jupyter executor's tests: a real ipykernel (for /usr/bin/python3) and Jupyter Server;
  # openssl makes the certificate of the https/wss tests.
  packages+=(python3-ipykernel jupyter-server openssl)
  # The Python package's tests.
  packages+=(python3-pytest)
  # The Docker executor's tests: a real daemon, and mmdebstrap to build the test image locally.
  packages+=(docker.io mmdebstrap)
  # The sandbox's benchmarks measure it against bubblewrap.
  packages+=(bubblewrap)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=()
if ((EUID != 0)); then
  sudo=(sudo)
fi
echo "setup: installing ${missing[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  "${missing[@]}"
