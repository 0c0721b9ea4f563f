"""DockerCommandLineCodeExecutor in a real container (the test image, built locally)."""

from __future__ import annotations

import json
import socket
import http.client
import urllib.parse
from pathlib import Path

import pytest

import codeexec
from codeexec import CodeBlock


def _containers_named(name: str) -> list:
    class UnixConnection(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect("/var/run/docker.sock")

    connection = UnixConnection("localhost")
    filters = urllib.parse.quote(json.dumps({"name": [name]}))
    connection.request("GET", f"/containers/json?all=1&filters={filters}")
    return json.loads(connection.getresponse().read())


def test_blocks_run_in_the_container(docker_executor_factory, work_dir):
    executor = docker_executor_factory(work_dir=work_dir, timeout=20)
    result = executor.execute_code_blocks([
        CodeBlock(code="# filename: hello.py\nimport os\nprint(os.getcwd())", language="python"),
        CodeBlock(code="echo from sh", language="sh")])
    assert (result.exit_code, result.output) == (0, "/workspace\nfrom sh\n")
    assert Path(result.code_file) == (work_dir / "hello.py").resolve()


def test_timeout_unknown_language_and_escape(docker_executor_factory, work_dir):
    executor = docker_executor_factory(work_dir=work_dir, timeout=5)
    timed_out = executor.execute_code_blocks([CodeBlock(
        code="print('early', flush=True)\nimport time\ntime.sleep(30)", language="python")])
    assert timed_out.exit_code == 124 and timed_out.output == "early\n\nTimeout"
    unknown = executor.execute_code_blocks([CodeBlock(code="x", language="cobol")])
    assert (unknown.exit_code, unknown.output) == (1, "\nunknown language cobol")
    escaped = executor.execute_code_blocks([CodeBlock(code="# filename: /tmp/x.py\nprint(1)",
                                                      language="python")])
    assert escaped.exit_code == 1 and "Filename is not in the workspace" in escaped.output


def test_execution_policies_merge(docker_executor_factory, work_dir):
    executor = docker_executor_factory(
        work_dir=work_dir, execution_policies={"python": False, "javascript": True})
    assert executor.execution_policies["python"] is False
    assert set(executor.execution_policies) == set(
        codeexec.DockerCommandLineCodeExecutor.DEFAULT_EXECUTION_POLICY)
    result = executor.execute_code_blocks([CodeBlock(code="print(1)", language="python")])
    assert result.output.startswith("Code saved to ")


def test_no_container_is_left_behind(docker_executor_factory, work_dir):
    executor = docker_executor_factory(work_dir=work_dir, container_name="codeexec-pytest-left")
    assert executor.container_name == "codeexec-pytest-left"
    assert _containers_named("codeexec-pytest-left")
    executor.restart()
    assert executor.execute_code_blocks([CodeBlock(code="echo again", language="sh")]).output \
        == "again\n"
    executor.stop()
    assert _containers_named("codeexec-pytest-left") == []


def test_unreachable_daemon_raises_a_connection_error(work_dir):
    with pytest.raises(codeexec.UnavailableError) as raised:
        codeexec.DockerCommandLineCodeExecutor(work_dir=work_dir,
                                               docker_host="unix:///nonexistent/docker.sock")
    assert isinstance(raised.value, ConnectionError)
    assert "/nonexistent/docker.sock" in str(raised.value)
