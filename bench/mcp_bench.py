#!/usr/bin/python3
"""What MCP adds to an execution: tools/call run_code against the same execution through the
native HTTP API, over both MCP transports.

    bench/mcp_bench.py BUILD/src/cli/codeexec [--rounds N] [--executor local]

Starts `codeexec serve` (local executor, loopback, no token) and `codeexec mcp`, opens one session
in each front end, and alternates the same run_code (bash `echo hello`, warm session) through:
  native   POST /v1/sessions/{id}/execute            (the floor)
  mcp-http POST /mcp tools/call, JSON reply          (same server, same executor kind)
  mcp-sse  POST /mcp tools/call, SSE reply
  mcp-stdio  tools/call over codeexec mcp's pipes     (its own service, same executor kind)
and prints each one's median and its difference from the floor's. Alternating makes machine drift
hit every path alike.
"""
import argparse
import http.client
import json
import re
import statistics
import subprocess
import sys
import time

CODE = {"language": "bash", "code": "echo hello"}


def start_serve(codeexec, executor):
    proc = subprocess.Popen(
        [codeexec, "serve", "--listen", "127.0.0.1:0", "--no-auth", "--executor", executor,
         "--allow-unisolated", "--ready-executors", "0"],
        stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    port = int(re.search(r":(\d+)/", line).group(1))
    return proc, port


class Http:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port)

    def post(self, path, body, headers=None):
        h = {"Content-Type": "application/json", **(headers or {})}
        self.conn.request("POST", path, json.dumps(body), h)
        r = self.conn.getresponse()
        data = r.read()
        return r, data


def rpc(id_, method, params):
    return {"jsonrpc": "2.0", "id": id_, "method": method, "params": params}


INIT = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "b", "version": "1"}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("codeexec")
    ap.add_argument("--rounds", type=int, default=300)
    ap.add_argument("--executor", default="local")
    args = ap.parse_args()

    serve, port = start_serve(args.codeexec, args.executor)
    stdio = subprocess.Popen([args.codeexec, "mcp", "--executor", args.executor, "--allow-unisolated"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        native = Http(port)
        r, data = native.post("/v1/sessions", {})
        session = json.loads(data)["id"]

        mcp = Http(port)
        r, data = mcp.post("/mcp", rpc(0, "initialize", INIT), {"Accept": "application/json"})
        mcp_headers = {"Mcp-Session-Id": r.getheader("Mcp-Session-Id"), "MCP-Protocol-Version": "2025-06-18"}
        mcp.post("/mcp", {"jsonrpc": "2.0", "method": "notifications/initialized"}, mcp_headers)

        def stdio_call(i, method, params):
            stdio.stdin.write(json.dumps(rpc(i, method, params)) + "\n")
            stdio.stdin.flush()
            while True:
                message = json.loads(stdio.stdout.readline())
                if message.get("id") == i:
                    return message

        stdio_call(0, "initialize", INIT)
        call = {"name": "run_code", "arguments": CODE}

        def run_native(i):
            r, data = native.post(f"/v1/sessions/{session}/execute", CODE)
            assert r.status == 200, data

        def run_mcp_json(i):
            r, data = mcp.post("/mcp", rpc(i, "tools/call", call), {**mcp_headers, "Accept": "application/json"})
            assert b'"isError":false' in data, data

        def run_mcp_sse(i):
            r, data = mcp.post("/mcp", rpc(i, "tools/call", call),
                               {**mcp_headers, "Accept": "application/json, text/event-stream"})
            assert b'"isError":false' in data, data

        def run_stdio(i):
            assert stdio_call(i, "tools/call", call)["result"]["isError"] is False

        paths = {"native": run_native, "mcp-http (JSON)": run_mcp_json, "mcp-http (SSE)": run_mcp_sse,
                 "mcp-stdio": run_stdio}
        times = {name: [] for name in paths}
        for i in range(1, 11):  # warm-up: executors started, caches filled
            for run in paths.values():
                run(i)
        for i in range(100, 100 + args.rounds):
            for name, run in paths.items():
                start = time.perf_counter_ns()
                run(i)
                times[name].append((time.perf_counter_ns() - start) / 1000)
        floor = statistics.median(times["native"])
        print(f"{args.rounds} rounds, bash `echo hello` in a warm session, executor {args.executor}")
        print(f"{'path':<18}{'median µs':>12}{'added µs':>12}")
        for name, values in times.items():
            median = statistics.median(values)
            print(f"{name:<18}{median:>12.0f}{median - floor:>+12.0f}")
    finally:
        stdio.stdin.close()
        stdio.wait()
        serve.terminate()
        serve.wait()


if __name__ == "__main__":
    sys.exit(main())
