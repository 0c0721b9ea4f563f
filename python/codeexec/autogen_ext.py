"""AutoGen 0.4+'s async executor interface (`autogen_core.code_executor.CodeExecutor`), run by
codeexec.

    from codeexec.autogen_ext import LocalCommandLineCodeExecutor
    async with LocalCommandLineCodeExecutor(work_dir="coding") as executor:
        result = await executor.execute_code_blocks(blocks, cancellation_token)

When `autogen_core` is installed, the executors here subclass its CodeExecutor and the results
its CodeResult, so that AutoGen's agents (CodeExecutorAgent, PythonCodeExecutionTool) take them.
When it is not, this module still imports, and the same classes work on their own (duck-typed):
`CancellationToken` is then a small equivalent of autogen_core's.

Each call runs on a worker thread (the GIL is released while code runs): the event loop goes on.
Cancelling the token, or the task awaiting the call, kills the running block's processes; a
cancelled token gives a result with "\\nCancelled" (exit code 125), a cancelled task raises
asyncio.CancelledError once the processes are gone.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, List, Optional, Sequence, Union

from . import _codeexec
from . import docker as _docker
from . import jupyter as _jupyter
from . import local as _local
from . import sandbox as _sandbox
from ._types import ResultDetails, details

try:  # AutoGen 0.4+, when installed
    from autogen_core import CancellationToken
    from autogen_core.code_executor import CodeBlock
    from autogen_core.code_executor import CodeExecutor as _CodeExecutorBase
    from autogen_core.code_executor import CodeResult as _CodeResultBase

    HAVE_AUTOGEN_CORE = True
except ImportError:
    HAVE_AUTOGEN_CORE = False
    from ._types import CodeBlock  # noqa: F401 - the same fields as autogen_core's

    @dataclass
    class _CodeResultBase:  # autogen_core.code_executor.CodeResult's fields
        exit_code: int
        output: str

    class _CodeExecutorBase:
        async def __aenter__(self):
            await self.start()
            return self

        async def __aexit__(self, exc_type, exc, traceback):
            await self.stop()
            return None

    class CancellationToken:
        """autogen_core's CancellationToken, for when it is not installed."""

        def __init__(self) -> None:
            self._cancelled = False
            self._lock = threading.Lock()
            self._callbacks: List[Callable[[], None]] = []

        def cancel(self) -> None:
            with self._lock:
                if self._cancelled:
                    return
                self._cancelled = True
                callbacks, self._callbacks = self._callbacks, []
            for callback in callbacks:
                callback()

        def is_cancelled(self) -> bool:
            with self._lock:
                return self._cancelled

        def add_callback(self, callback: Callable[[], None]) -> None:
            with self._lock:
                if not self._cancelled:
                    self._callbacks.append(callback)
                    return
            callback()

        def link_future(self, future: "asyncio.Future[Any]") -> "asyncio.Future[Any]":
            self.add_callback(future.cancel)
            return future


@dataclass
class CommandLineCodeResult(_CodeResultBase, ResultDetails):
    """autogen_ext's CommandLineCodeResult (code_file) with codeexec's details."""

    code_file: Optional[str] = None


@dataclass
class JupyterCodeResult(_CodeResultBase, ResultDetails):
    """autogen_ext's JupyterCodeResult (output_files as paths) with codeexec's details."""

    output_files: List[Path] = field(default_factory=list)


class _AsyncExecutor(_CodeExecutorBase):
    """The async shape over one of the package's synchronous executors, made at start()."""

    _needs_start_message = ""  # empty: the first call starts the executor

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._sync: Any = None
        self._lock = threading.Lock()

    def _started(self) -> Any:
        with self._lock:
            if self._sync is None:
                if self._needs_start_message:
                    raise self._not_started_error()
                self._sync = self._factory()
            return self._sync

    def _not_started_error(self) -> Exception:
        return ValueError(self._needs_start_message)

    @property
    def code_extractor(self) -> Any:
        return _local.MarkdownCodeExtractor()

    async def execute_code_blocks(self, code_blocks: List[Any],
                                  cancellation_token: Optional[Any] = None,
                                  **options: Any) -> Any:
        """Runs the blocks on a worker thread; `options` are the synchronous executors'
        (on_output, timeout, stdin, args)."""
        executor = self._started()
        token = _codeexec.CancellationToken()
        if cancellation_token is not None:
            cancellation_token.add_callback(token.cancel)
        call = functools.partial(executor.execute_code_blocks, code_blocks,
                                 cancellation_token=token, **options)
        future = asyncio.get_running_loop().run_in_executor(None, call)
        try:
            result = await asyncio.shield(future)
        except asyncio.CancelledError:
            token.cancel()  # the task was cancelled: kill the code, wait for it, then re-raise
            await asyncio.wait([future])
            raise
        return self._convert(result)

    def _convert(self, result: Any) -> Any:
        return CommandLineCodeResult(exit_code=result.exit_code, output=result.output,
                                     code_file=result.code_file, **details(result))

    async def start(self) -> None:
        if self._sync is None:
            sync = await asyncio.to_thread(self._factory)
            with self._lock:
                if self._sync is None:
                    self._sync, sync = sync, None
            if sync is not None:
                await asyncio.to_thread(sync.stop)

    async def stop(self) -> None:
        with self._lock:
            sync, self._sync = self._sync, None
        if sync is not None:
            await asyncio.to_thread(sync.stop)

    async def restart(self) -> None:
        sync = self._started()
        await asyncio.to_thread(sync.restart)

    def cancel(self) -> None:
        """Cancels every running call (from any thread)."""
        if self._sync is not None:
            self._sync.cancel()

    @property
    def work_dir(self) -> Path:
        return self._started().work_dir


class LocalCommandLineCodeExecutor(_AsyncExecutor):
    """autogen_ext.code_executors.local.LocalCommandLineCodeExecutor's constructor: `timeout`,
    `work_dir` (None: a temporary folder, removed at stop()), `functions`, `functions_module`,
    `cleanup_temp_files` (delete each block's file after it ran), `virtual_env_context`; plus
    codeexec's keyword options (all_languages, on_output, python, output_limit, env, ...).
    Shell and Python blocks run, as in AutoGen 0.4; `all_languages` opens every language."""

    def __init__(self, timeout: int = 60, work_dir: Optional[Union[Path, str]] = None,
                 functions: Sequence[Any] = (), functions_module: str = "functions",
                 cleanup_temp_files: bool = True, virtual_env_context: Optional[Any] = None,
                 **options: Any) -> None:
        _local.check_timeout(timeout)
        if not functions_module.isidentifier():
            raise ValueError("Module name must be a valid Python identifier")
        self._timeout = timeout
        if not options.get("all_languages"):
            options["execution_policies"] = {
                "javascript": False, "html": False, "css": False,
                **(options.get("execution_policies") or {})}
        super().__init__(functools.partial(
            _local.LocalCommandLineCodeExecutor, timeout, virtual_env_context, work_dir,
            list(functions), functions_module, cleanup_code_files=cleanup_temp_files, **options))

    @property
    def timeout(self) -> int:
        return self._timeout


class DockerCommandLineCodeExecutor(_AsyncExecutor):
    """autogen_ext.code_executors.docker.DockerCommandLineCodeExecutor's constructor: `image`,
    `container_name`, then keyword `timeout`, `work_dir` (None: a temporary folder), `bind_dir`,
    `auto_remove`, `stop_container`, `functions`, `functions_module`, `extra_volumes` (a list of
    "HOST:CONTAINER[:mode]" or AutoGen's {host: {"bind", "mode"}} dict), `extra_hosts` (a list or
    AutoGen's {name: address} dict), `init_command`, `delete_tmp_files`; plus codeexec's options.
    Must be started (start() or `async with`) before use, as in AutoGen."""

    _needs_start_message = ("Container is not running. Must first be started with either start "
                            "or a context manager.")

    def __init__(self, image: str = "python:3-slim", container_name: Optional[str] = None, *,
                 timeout: int = 60, work_dir: Optional[Union[Path, str]] = None,
                 bind_dir: Optional[Union[Path, str]] = None, auto_remove: bool = True,
                 stop_container: bool = True, functions: Sequence[Any] = (),
                 functions_module: str = "functions", extra_volumes: Any = None,
                 extra_hosts: Any = None, init_command: Optional[str] = None,
                 delete_tmp_files: bool = False, **options: Any) -> None:
        _docker.check_timeout(timeout)
        self._timeout = timeout
        if isinstance(extra_volumes, dict):
            extra_volumes = [f"{host}:{spec['bind']}:{spec.get('mode', 'rw')}"
                             for host, spec in extra_volumes.items()]
        if isinstance(extra_hosts, dict):
            extra_hosts = [f"{name}:{address}" for name, address in extra_hosts.items()]
        super().__init__(functools.partial(
            _docker.DockerCommandLineCodeExecutor, image, container_name, timeout, work_dir,
            bind_dir, auto_remove, stop_container, functions=list(functions),
            functions_module=functions_module, extra_volumes=extra_volumes,
            extra_hosts=extra_hosts, init_command=init_command,
            cleanup_code_files=delete_tmp_files, **options))

    @property
    def timeout(self) -> int:
        return self._timeout


class JupyterCodeExecutor(_AsyncExecutor):
    """autogen_ext.code_executors.jupyter.JupyterCodeExecutor's constructor: `kernel_name`,
    `timeout`, `output_dir` (None: the kernel's work folder, by default a temporary one removed
    at stop()); plus codeexec's keyword options (jupyter_server, work_dir, on_output, ...). Must
    be started, as in AutoGen."""

    _needs_start_message = "Executor must be started before executing cells"

    def __init__(self, kernel_name: str = "python3", timeout: int = 60,
                 output_dir: Optional[Union[Path, str]] = None, **options: Any) -> None:
        _jupyter.check_timeout(timeout)
        self._timeout = timeout
        options.setdefault("work_dir", None)
        super().__init__(functools.partial(
            _jupyter.JupyterCodeExecutor, options.pop("jupyter_server", None), kernel_name,
            timeout, output_dir, **options))

    def _not_started_error(self) -> Exception:
        return RuntimeError(self._needs_start_message)

    def _convert(self, result: Any) -> Any:
        return JupyterCodeResult(exit_code=result.exit_code, output=result.output,
                                 output_files=[Path(f) for f in result.output_files],
                                 **details(result))

    @property
    def timeout(self) -> int:
        return self._timeout

    @property
    def output_dir(self) -> Path:
        return self._started().output_dir


class SandboxCodeExecutor(_AsyncExecutor):
    """codeexec's sandbox executor with the async interface (see codeexec.SandboxCodeExecutor)."""

    def __init__(self, timeout: int = 60, work_dir: Optional[Union[Path, str]] = None,
                 **options: Any) -> None:
        _sandbox.check_timeout(timeout)
        self._timeout = timeout
        super().__init__(lambda: _sandbox.SandboxCodeExecutor(timeout, work_dir, **options))


__all__ = [
    "CancellationToken", "CodeBlock", "CommandLineCodeResult", "DockerCommandLineCodeExecutor",
    "HAVE_AUTOGEN_CORE", "JupyterCodeExecutor", "JupyterCodeResult",
    "LocalCommandLineCodeExecutor", "SandboxCodeExecutor",
]
