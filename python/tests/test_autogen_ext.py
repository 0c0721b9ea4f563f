"""codeexec.autogen_ext: AutoGen 0.4's async interface, with and without autogen_core."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from codeexec import CodeBlock, autogen_ext


async def _until(condition, seconds: float = 60) -> None:
    """Waits (polling) until `condition()` holds: the code has started."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the code did not start")


def test_the_module_imports_without_autogen_core():
    assert autogen_ext.HAVE_AUTOGEN_CORE is False
    token = autogen_ext.CancellationToken()
    called = []
    token.add_callback(lambda: called.append(1))
    token.cancel()
    assert token.is_cancelled() and called == [1]


def test_async_execution_in_a_temporary_work_dir():
    async def main():
        async with autogen_ext.LocalCommandLineCodeExecutor(timeout=10) as executor:
            folder = executor.work_dir
            result = await executor.execute_code_blocks(
                [CodeBlock(code="print('async')", language="python")],
                autogen_ext.CancellationToken())
            return folder, result

    folder, result = asyncio.run(main())
    assert (result.exit_code, result.output) == (0, "async\n")
    assert isinstance(result, autogen_ext.CommandLineCodeResult)
    assert result.code_file is not None and not Path(result.code_file).exists()  # cleaned up
    assert not folder.exists()  # removed at stop()


def test_the_event_loop_runs_while_code_runs(work_dir):
    async def main():
        executor = autogen_ext.LocalCommandLineCodeExecutor(work_dir=work_dir)
        ticks = 0

        async def tick():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        await executor.execute_code_blocks(
            [CodeBlock(code="import time; time.sleep(0.5)", language="python")])
        ticker.cancel()
        await executor.stop()
        return ticks

    assert asyncio.run(main()) > 0


def test_cancellation_token_cancels_the_call(work_dir):
    async def main():
        async with autogen_ext.LocalCommandLineCodeExecutor(work_dir=work_dir) as executor:
            token = autogen_ext.CancellationToken()
            started = threading.Event()
            call = asyncio.create_task(executor.execute_code_blocks(
                [CodeBlock(code="echo go; sleep 60", language="sh")], token,
                on_output=lambda e: started.set() if e.type == "stdout" else None))
            await _until(started.is_set)
            token.cancel()
            return await call

    result = asyncio.run(main())
    assert (result.exit_code, result.status) == (125, "cancelled")


def test_cancelling_the_task_kills_the_code(work_dir):
    async def main():
        async with autogen_ext.LocalCommandLineCodeExecutor(work_dir=work_dir) as executor:
            call = asyncio.create_task(executor.execute_code_blocks(
                [CodeBlock(code="echo $$ > pid.tmp && mv pid.tmp pid; sleep 60", language="sh")]))
            await _until((work_dir / "pid").exists)
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call

    asyncio.run(main())
    pid = int((work_dir / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_jupyter_must_be_started_and_keeps_state(tmp_path):
    async def main():
        executor = autogen_ext.JupyterCodeExecutor(timeout=10, output_dir=tmp_path)
        with pytest.raises(RuntimeError, match="Executor must be started"):
            await executor.execute_code_blocks([CodeBlock(code="1", language="python")])
        async with executor:
            await executor.execute_code_blocks([CodeBlock(code="x = 21", language="python")])
            return await executor.execute_code_blocks(
                [CodeBlock(code="print(x * 2)", language="python")])

    result = asyncio.run(main())
    assert (result.exit_code, result.output) == (0, "42\n")
    assert isinstance(result, autogen_ext.JupyterCodeResult)


def test_docker_must_be_started():
    executor = autogen_ext.DockerCommandLineCodeExecutor(image="codeexec/python:bookworm")
    with pytest.raises(ValueError, match="Container is not running"):
        asyncio.run(executor.execute_code_blocks([CodeBlock(code="1", language="python")]))


def test_timeout_below_one_second_is_refused():
    with pytest.raises(ValueError, match="Timeout must be greater than or equal to 1."):
        autogen_ext.JupyterCodeExecutor(timeout=0)


# A stand-in for autogen_core, with its CodeExecutor ABC's and CodeResult's shapes, to check that
# the classes subclass them when it is installed (autogen_core itself cannot be installed here).
FAKE_AUTOGEN_CORE = {
    "autogen_core/__init__.py": """
        class CancellationToken:
            def __init__(self):
                self._callbacks = []
                self._cancelled = False
            def cancel(self):
                self._cancelled = True
                for callback in self._callbacks:
                    callback()
            def is_cancelled(self):
                return self._cancelled
            def add_callback(self, callback):
                self._callbacks.append(callback)
    """,
    "autogen_core/code_executor.py": """
        from abc import ABC, abstractmethod
        from dataclasses import dataclass

        @dataclass
        class CodeBlock:
            code: str
            language: str

        @dataclass
        class CodeResult:
            exit_code: int
            output: str

        class CodeExecutor(ABC):
            @abstractmethod
            async def execute_code_blocks(self, code_blocks, cancellation_token): ...
            @abstractmethod
            async def start(self): ...
            @abstractmethod
            async def stop(self): ...
            @abstractmethod
            async def restart(self): ...
            async def __aenter__(self):
                await self.start()
                return self
            async def __aexit__(self, *exc):
                await self.stop()
    """,
}


def test_with_autogen_core_the_classes_subclass_its_bases(tmp_path):
    for name, text in FAKE_AUTOGEN_CORE.items():
        path = tmp_path / "site" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    script = textwrap.dedent("""
        import asyncio
        from autogen_core import CancellationToken
        from autogen_core.code_executor import CodeBlock, CodeExecutor, CodeResult
        from codeexec import autogen_ext

        async def main():
            async with autogen_ext.LocalCommandLineCodeExecutor() as executor:
                assert isinstance(executor, CodeExecutor)
                result = await executor.execute_code_blocks(
                    [CodeBlock(code="print('core')", language="python")], CancellationToken())
                assert isinstance(result, CodeResult), type(result).__mro__
                print(autogen_ext.HAVE_AUTOGEN_CORE, result.output.strip())

        asyncio.run(main())
    """)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "site"), env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         cwd=tmp_path, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True core"
