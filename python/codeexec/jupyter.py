"""JupyterCodeExecutor: AutoGen 0.2's Jupyter executor, run by codeexec.

codeexec speaks the Jupyter protocol itself: a local kernel from its kernelspec (ipykernel's
python3 by default) over ZeroMQ, or a kernel on a Jupyter Server over its REST API and WebSocket.
Variables persist between blocks and calls until restart().
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional, Union

from ._base import Executor, OnOutput, check_timeout, with_options
from ._types import IPythonCodeResult, ipython_result


@dataclass
class JupyterConnectionInfo:
    """A Jupyter Server to run the kernel on (AutoGen's JupyterConnectionInfo)."""

    host: str
    use_https: bool
    port: Optional[int] = None
    token: Optional[str] = None


def _server_config(jupyter_server: Any) -> Dict[str, Any]:
    info = getattr(jupyter_server, "connection_info", jupyter_server)  # a JupyterConnectable
    if not hasattr(info, "host"):
        raise ValueError("jupyter_server must be a JupyterConnectable or JupyterConnectionInfo.")
    config: Dict[str, Any] = {"host": info.host, "https": bool(getattr(info, "use_https", False))}
    if getattr(info, "port", None) is not None:
        config["port"] = info.port
    if getattr(info, "token", None):
        config["token"] = info.token
    return config


class JupyterCodeExecutor(Executor):
    """Runs code blocks as cells of a stateful Jupyter kernel.

    AutoGen 0.2's constructor: `jupyter_server` (a JupyterConnectionInfo or an object with
    `connection_info`; codeexec's addition: None, the default, starts a local kernel with no
    server), `kernel_name` ("python3"), `timeout` (per cell, at least 1 s), `output_dir` (where
    images and HTML are saved; must exist: ValueError "Output directory PATH does not exist.").
    A kernel that is not installed raises codeexec.NotFoundError (a ValueError) "Kernel NAME is
    not installed.".

    codeexec's own keyword options: `work_dir` (the local kernel's working folder, default the
    current one; None: a temporary folder removed at stop()), `on_output`, `python` (the interpreter for Python kernelspecs), `output_limit`,
    `env`, `startup_timeout`, `interrupt_grace`. `work_dir=None` gives a temporary folder (removed
    at stop()); `output_dir=None` saves into the work folder.

    A timeout interrupts the kernel (its state kept), keeps the cell's output so far and appends
    "\\nTimeout" (exit code 1, as AutoGen's); output is the stream text as printed (not joined
    with extra newlines); images and HTML are saved with a line "Image data saved to PATH" /
    "HTML data saved to PATH" and listed in output_files.
    """

    _registry_name = "jupyter"
    _result_type = IPythonCodeResult
    _result = staticmethod(ipython_result)

    def __init__(
        self,
        jupyter_server: Any = None,
        kernel_name: str = "python3",
        timeout: int = 60,
        output_dir: Optional[Union[Path, str]] = Path("."),
        *,
        work_dir: Optional[Union[Path, str]] = Path("."),
        on_output: Optional[OnOutput] = None,
        **options: Any,
    ) -> None:
        check_timeout(timeout)
        config: Dict[str, Any] = {"kernel_name": kernel_name, "timeout": timeout}
        if output_dir is not None:
            if not Path(output_dir).exists():
                raise ValueError(f"Output directory {output_dir} does not exist.")
            config["output_dir"] = str(Path(output_dir).resolve())
        if jupyter_server is not None:
            config["jupyter_server"] = _server_config(jupyter_server)
        elif work_dir is not None:
            config["work_dir"] = str(Path(work_dir).resolve())
        super().__init__(with_options(config, options), on_output=on_output)
        self._output_dir = Path(self._native.info()["output_dir"])

    @property
    def output_dir(self) -> Path:
        return self._output_dir

    @property
    def kernel_pid(self) -> int:
        """The local kernel's process id (-1 for a kernel on a server)."""
        return self._native.info()["kernel_pid"]
