"""SandboxCodeExecutor: codeexec's own isolating executor (no AutoGen counterpart).

Each block runs in new Linux namespaces with a read-only root, a private /tmp, no network, a
seccomp filter and cgroup limits: isolation like a container's at close to a local process's cost.
Needs Linux 5.19 or later and root; the constructor says precisely what is missing otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from . import _functions
from ._base import Executor, OnOutput, check_timeout, with_options


class SandboxCodeExecutor(Executor):
    """Runs each code block isolated, with the local executor's rules and results.

    Options: `timeout`, `work_dir` (None: a temporary folder removed at stop()),
    `execution_policies` ({language: run?}; every language of codeexec's table runs when its
    toolchain is installed), `functions`, `functions_module`, `memory_limit` (bytes per block,
    default 1 GiB), `max_processes`, `network` (False: loopback only), `read_only_paths`,
    `on_output`, and any other key of docs/sandbox.md's JSON configuration.
    """

    _registry_name = "sandbox"

    def __init__(
        self,
        timeout: int = 60,
        work_dir: Optional[Union[Path, str]] = None,
        execution_policies: Optional[Dict[str, bool]] = None,
        *,
        functions: List[Any] = [],  # noqa: B006 - as the local executor's
        functions_module: str = "functions",
        on_output: Optional[OnOutput] = None,
        **options: Any,
    ) -> None:
        check_timeout(timeout)
        config: Dict[str, Any] = {"timeout": timeout, "functions_module": functions_module}
        if work_dir is not None:
            config["work_dir"] = str(Path(work_dir).resolve())
        if execution_policies:
            config["execution_policies"] = {
                lang: ("run" if run else "save") for lang, run in execution_policies.items()}
        if functions:
            config["functions"] = _functions.to_config(list(functions))
        if "read_only_paths" in options:
            options["read_only_paths"] = [str(p) for p in options["read_only_paths"]]
        super().__init__(with_options(config, options), on_output=on_output)
