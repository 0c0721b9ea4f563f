#!/usr/bin/env bash
# Installs codeexec from a build folder into a temporary prefix and uses it as an outside project
# would: checks that nothing installed names the build or source tree, runs the installed
# `codeexec` command, then configures tests/consumer (find_package(codeexec), linking
# codeexec::codeexec) with only that prefix on CMAKE_PREFIX_PATH, builds it, runs it and checks
# its reply. Removes everything it made. Called by scripts/test.sh after the main test run.
#
#   scripts/test-consumer.sh [BUILD_DIR]    default: build/ci, already built (no sanitizer build:
#                                           the consumer is compiled without one)
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir=$PWD
build_dir=$(realpath "${1:-build/ci}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

fail() {
  echo "test-consumer: $*" >&2
  exit 1
}

cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" || {
  cat "$work/install.log" >&2
  fail "cmake --install $build_dir failed"
}

# Nothing installed may name the trees it came from, apart from debug information (which names
# the sources, as any build's does): each file is searched with its debug sections stripped.
for tree in "$source_dir" "$build_dir"; do
  while IFS= read -r -d '' file; do
    objcopy --strip-debug "$file" "$work/scan" 2>/dev/null || cp "$file" "$work/scan"
    if grep -qF "$tree" "$work/scan"; then
      fail "${file#"$prefix"/} names $tree"
    fi
  done < <(find "$prefix" -type f -print0)
done

"$prefix/bin/codeexec" languages >/dev/null || fail "the installed codeexec command does not run"

env -u CMAKE_PREFIX_PATH cmake -S tests/consumer -B "$work/consumer" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$work/configure.log" || {
  cat "$work/configure.log" >&2
  fail "the consumer project does not configure against the installed package"
}
grep -qF "codeexec_DIR=$prefix/" "$work/configure.log" ||
  fail "the consumer found another codeexec package: $(grep codeexec_DIR "$work/configure.log")"
cmake --build "$work/consumer" -j2 >"$work/build.log" || {
  cat "$work/build.log" >&2
  fail "the consumer project does not build against the installed package"
}

reply=$(cd "$work" && "$work/consumer/consumer") || fail "the consumer failed: $reply"
expected=$'exitcode: 0 (execution succeeded)\nCode output: consumer says 42'
[[ "$reply" == "$expected" ]] || fail "the consumer replied:
$reply
instead of:
$expected"
echo "test-consumer: an outside project built against the installed package runs a block"
