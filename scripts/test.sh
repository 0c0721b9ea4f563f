#!/usr/bin/env bash
# Installs everything the tests need, builds with warnings as errors, and runs the whole suite:
# unit tests and the integration tests (real processes, every installed language, the seed
# example, the CLI, a real Docker daemon).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
# The service's tests drive it with real npm clients (Piston's client library, an OpenAPI 3.1
# validator), pinned by tests/server/package-lock.json.
if ! command -v npm >/dev/null; then
  sudo=()
  ((EUID == 0)) || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm
fi
npm ci --prefix tests/server --no-audit --no-fund --loglevel=error
cmake --preset ci
cmake --build --preset ci -j"$(nproc)"
bash scripts/docker-test-env.sh  # dockerd and the Docker test image
ctest --preset ci --timeout 600
# The installed package as an outside project uses it: cmake --install, find_package(codeexec).
bash scripts/test-consumer.sh build/ci
# The concurrency contract of executor.h under ThreadSanitizer: the contract test only (local,
# Docker and Jupyter against their real peers), which keeps CI's time in bounds. Not the sandbox:
# its setup children share the caller's memory (CLONE_VM) and run on the calling thread's
# sanitizer state, which ThreadSanitizer cannot follow (it reports races that the joins rule
# out, and can deadlock on its own lock); docs/development.md.
cmake --preset tsan
cmake --build --preset tsan -j"$(nproc)"
ctest --preset tsan --timeout 600
