#!/usr/bin/python3
"""The Python package against its floors, measured in one run, printing ratios.

    PYTHONPATH=build/release/python /usr/bin/python3 bench/python_bench.py [--quick]
        [--image codeexec/python:bookworm] [--skip-docker] [--skip-jupyter]

Each measurement alternates the package and its floor round by round, so that machine drift
hits both alike, and compares medians:

- call overhead: the package's execute_code_blocks (Python objects in and out, the binding)
  against the same executor called from C++ in a loop, on a save-only block (no process, so the
  overhead is not hidden by a spawn);
- local python `print(1)` and bash `echo`: LocalCommandLineCodeExecutor against a bare
  subprocess.run of the same interpreter on the same file (AutoGen 0.2: 1.07x and 2.4x);
- Jupyter `print(1)` cell: JupyterCodeExecutor against a raw round trip through jupyter_client
  (execute_request, output, status idle, execute_reply) to a kernel of the same kernelspec;
- Docker python block: DockerCommandLineCodeExecutor (runner) against AutoGen 0.2's path, an
  exec through the Engine API (create, start reading the output, inspect), as docker-py's
  exec_run does;
- memory: how much a 50 MB output flood grows this process (a fresh interpreter), against the
  output cap + 8 MiB (AutoGen: +142 MiB).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import codeexec
from codeexec import CodeBlock

PYTHON = "/usr/bin/python3"


def alternate(rounds: int, subject, floor) -> tuple:
    """Median seconds of `subject` and `floor`, alternated, after one warm-up each."""
    subject()
    floor()
    ours, theirs = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        subject()
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        floor()
        theirs.append(time.perf_counter() - start)
    return statistics.median(ours), statistics.median(theirs)


def row(name: str, ours: float, floor: float, target: str, unit: str = "ms") -> None:
    scale = 1e3 if unit == "ms" else 1e6
    print(f"| {name} | {ours * scale:,.3f} {unit} | {floor * scale:,.3f} {unit} | "
          f"**{ours / floor:.3f}x** | {target} |", flush=True)


def call_overhead(work_dir: Path, rounds: int) -> None:
    with codeexec.LocalCommandLineCodeExecutor(work_dir=work_dir, run_log=False) as executor:
        blocks = [CodeBlock(code="<p>saved</p>", language="html")]
        per_round = 20
        ours, floor = alternate(
            rounds,
            lambda: [executor.execute_code_blocks(blocks) for _ in range(per_round)],
            lambda: executor._native.time_calls(blocks, per_round))
        ours, floor = ours / per_round, floor / per_round
        print(f"| call overhead (save-only block) | {ours * 1e6:,.1f} us | {floor * 1e6:,.1f} us "
              f"C++ loop | +{(ours - floor) * 1e6:,.1f} us | <= 300 us added |", flush=True)


def local_blocks(work_dir: Path, rounds: int) -> None:
    with codeexec.LocalCommandLineCodeExecutor(work_dir=work_dir, python=PYTHON,
                                               run_log=False) as executor:
        for name, block, program, target in (
                ("local python `print(1)`", CodeBlock(code="print(1)", language="python"),
                 PYTHON, "<= 1.05x (AutoGen 1.07x)"),
                ("local bash `echo hello`", CodeBlock(code="echo hello", language="bash"),
                 "/bin/bash", "<= 1.3x (AutoGen 2.4x)")):
            code_file = executor.execute_code_blocks([block]).code_file
            ours, floor = alternate(
                rounds, lambda: executor.execute_code_blocks([block]),
                lambda: subprocess.run([program, code_file], cwd=work_dir, capture_output=True,
                                       check=True))
            row(name, ours, floor, target)


def jupyter_cell(work_dir: Path, rounds: int) -> None:
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3")
    try:
        def raw_round_trip() -> None:
            msg_id = client.execute("print(1)")
            while True:  # output, then status idle for this request
                message = client.get_iopub_msg(timeout=30)
                if (message["parent_header"].get("msg_id") == msg_id
                        and message["msg_type"] == "status"
                        and message["content"]["execution_state"] == "idle"):
                    break
            while client.get_shell_msg(timeout=30)["parent_header"].get("msg_id") != msg_id:
                pass

        with codeexec.JupyterCodeExecutor(output_dir=work_dir, work_dir=work_dir) as executor:
            block = [CodeBlock(code="print(1)", language="python")]
            ours, floor = alternate(rounds, lambda: executor.execute_code_blocks(block),
                                    raw_round_trip)
            row("Jupyter `print(1)` cell", ours, floor,
                "<= 1.1x (AutoGen's embedded executor: 211 ms)")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


class _DockerConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost")
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self._path)


def _docker(method: str, url: str, body=None):
    connection = _DockerConnection("/var/run/docker.sock")
    connection.request(method, url, body=json.dumps(body) if body is not None else None,
                       headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return data


def docker_block(work_dir: Path, rounds: int, image: str) -> None:
    with codeexec.DockerCommandLineCodeExecutor(image=image, work_dir=work_dir,
                                                run_log=False) as executor:
        block = [CodeBlock(code="print(1)", language="python")]
        name = Path(executor.execute_code_blocks(block).code_file).name
        container = executor.container_id

        def exec_run() -> None:  # AutoGen 0.2: exec_run(["timeout", "60", "python", file])
            created = json.loads(_docker("POST", f"/containers/{container}/exec", {
                "Cmd": ["timeout", "60", "python3", name], "AttachStdout": True,
                "AttachStderr": True, "WorkingDir": "/workspace"}))
            _docker("POST", f"/exec/{created['Id']}/start", {"Detach": False, "Tty": False})
            json.loads(_docker("GET", f"/exec/{created['Id']}/json"))

        ours, floor = alternate(rounds, lambda: executor.execute_code_blocks(block), exec_run)
        row("Docker python block (runner)", ours, floor, "< 0.5x AutoGen's exec_run path")


def memory_flood_child(limit: int) -> None:
    """Runs in a fresh interpreter: prints the peak RSS growth in KiB."""
    def peak_kib() -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0

    with tempfile.TemporaryDirectory() as folder:
        with codeexec.LocalCommandLineCodeExecutor(work_dir=folder, run_log=False) as executor:
            executor.execute_code_blocks([CodeBlock(code="print(1)", language="python")])
            before = peak_kib()
            code = "import sys\nline = 'x' * 1023 + '\\n'\nfor _ in range(51200): " \
                   "sys.stdout.write(line)"
            result = executor.execute_code_blocks([CodeBlock(code=code, language="python")])
            assert result.truncated, "the flood was not cut at the output limit"
            print(peak_kib() - before)


def memory_flood() -> None:
    limit = 1 << 20
    out = subprocess.run([sys.executable, __file__, "--memory-child"], capture_output=True,
                         text=True, check=True, env=dict(os.environ))
    growth = int(out.stdout.strip().splitlines()[-1])
    bound = (limit + (8 << 20)) // 1024
    print(f"| 50 MB printed, 1 MiB cap | peak RSS +{growth:,} KiB | — | — | "
          f"< cap + 8 MiB ({bound:,} KiB; AutoGen +142 MiB) |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--image", default="codeexec/python:bookworm")
    parser.add_argument("--skip-docker", action="store_true")
    parser.add_argument("--skip-jupyter", action="store_true")
    parser.add_argument("--memory-child", action="store_true")
    options = parser.parse_args()
    if options.memory_child:
        memory_flood_child(1 << 20)
        return
    rounds = 15 if options.quick else 60
    print("| measurement | codeexec (Python) | floor | ratio | target |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        work_dir = Path(folder)
        call_overhead(work_dir, rounds)
        local_blocks(work_dir, rounds)
        if not options.skip_jupyter:
            jupyter_cell(work_dir, rounds)
        if not options.skip_docker:
            docker_block(work_dir, max(rounds // 2, 10), options.image)
        memory_flood()


if __name__ == "__main__":
    main()
