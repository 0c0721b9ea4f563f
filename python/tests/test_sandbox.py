"""SandboxCodeExecutor (root, Linux 5.19+): isolated runs with the local executor's results."""

from __future__ import annotations

import pytest

import codeexec
from codeexec import CodeBlock
from conftest import require


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    try:
        executor = codeexec.SandboxCodeExecutor(timeout=10,
                                                work_dir=tmp_path_factory.mktemp("sandbox"))
    except codeexec.CodeexecError as error:
        require(False, f"a sandbox on this host: {error}")
    with executor:
        yield executor


def test_code_runs_without_network_and_with_results(sandbox):
    result = sandbox.execute_code_blocks([
        CodeBlock(code="print('inside')", language="python"),
        CodeBlock(code="import socket\n"
                       "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n"
                       "    print('network')\nexcept OSError:\n    print('no network')",
                  language="python")])
    assert (result.exit_code, result.output) == (0, "inside\nno network\n")
    assert len(result.blocks) == 2


def test_timeout_in_the_sandbox(sandbox):
    result = sandbox.execute_code_blocks(
        [CodeBlock(code="echo early; sleep 30", language="sh")], timeout=1)
    assert result.exit_code == 124 and result.output == "early\n\nTimeout"
