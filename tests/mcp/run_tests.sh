#!/usr/bin/env bash
# Runs codeexec's MCP tests with real clients from npm (the official TypeScript SDK, the
# conformance suite), installed from the committed package-lock.json into WORK.
#   run_tests.sh install WORK                 npm ci into WORK (once per lock file)
#   run_tests.sh sdk WORK CODEEXEC            the SDK client over stdio and Streamable HTTP
#   run_tests.sh conformance WORK CODEEXEC    the conformance scenarios of a tools-only server
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
what=$1
work=$2
mkdir -p "$work"

case $what in
  install)
    if [ -d "$work/node_modules" ] && cmp -s "$here/package-lock.json" "$work/package-lock.json"; then
      exit 0
    fi
    cp "$here/package.json" "$here/package-lock.json" "$work/"
    (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
    ;;
  sdk)
    cp "$here/mcp_client.test.mjs" "$work/"
    CODEEXEC=$3 node --test --test-concurrency=1 "$work/mcp_client.test.mjs"
    ;;
  conformance)
    out=$(mktemp)
    "$3" serve --listen 127.0.0.1:0 --no-auth --executor local --allow-unisolated \
      --ready-executors 0 >"$out" &
    server=$!
    trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$out"' EXIT
    for _ in $(seq 600); do
      grep -q 'listening on' "$out" && break
      kill -0 $server || { cat "$out"; exit 1; }
      sleep 0.1
    done
    url=$(sed -n 's|.*listening on \(http://[^ ]*\)/ .*|\1/mcp|p' "$out")
    failed=0
    for scenario in server-initialize ping tools-list dns-rebinding-protection; do
      log=$(node "$work/node_modules/@modelcontextprotocol/conformance/dist/index.js" server \
        --url "$url" --scenario "$scenario" 2>&1) || failed=1
      echo "$log"
      if grep -Eq 'FAILURE| [1-9][0-9]* failed' <<<"$log"; then failed=1; fi
    done
    exit $failed
    ;;
  *)
    echo "usage: $0 install|sdk|conformance WORK [CODEEXEC]" >&2
    exit 2
    ;;
esac
