"""LocalCommandLineCodeExecutor: AutoGen 0.2's local executor, run by codeexec.

NO ISOLATION: the code runs as your user, with your files and network. For code you do not trust,
use DockerCommandLineCodeExecutor or SandboxCodeExecutor.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any, ClassVar, Dict, List, Optional, Union

from . import _functions
from ._base import (AUTOGEN_EXECUTION_POLICY, AUTOGEN_LANGUAGES, Executor, OnOutput,
                    check_timeout, make_work_dir, policies_config, with_options)
from ._types import CommandLineCodeResult

# AutoGen's guard rail for shell blocks, with its messages. It stops a model's accidental
# `rm -rf`; it is not a security boundary (any language can delete files).
_DANGEROUS_SHELL = [
    (re.compile(r"\brm\s+-rf\b"), "Use of 'rm -rf' command is not allowed."),
    (re.compile(r"\bmv\b.*?\s+/dev/null"), "Moving files to /dev/null is not allowed."),
    (re.compile(r"\bdd\b"), "Use of 'dd' command is not allowed."),
    (re.compile(r">\s*/dev/sd[a-z][1-9]?"), "Overwriting disk blocks directly is not allowed."),
    (re.compile(r":\(\)\{\s*:\|:&\s*\};:"), "Fork bombs are not allowed."),
]


class LocalCommandLineCodeExecutor(Executor):
    """Runs each code block as a child process of this host, in `work_dir`.

    AutoGen 0.2's constructor and defaults: `timeout` (seconds, at least 1), `virtual_env_context`
    (what `venv.EnvBuilder(with_pip=True).ensure_directories(dir)` returns, or a venv's path),
    `work_dir` (created if missing; default the current folder; codeexec's addition: None, a
    temporary folder removed at stop()), `functions`,
    `functions_module`, `execution_policies` ({language: run?} over AutoGen's defaults: shells and
    Python run; javascript, html and css are saved, not run; other languages are unknown).

    codeexec's own keyword options: `all_languages` (every language of codeexec's table runs when
    its toolchain is installed: javascript with node, ruby, go, c, ...), `on_output` (a callback
    for every call's live events), `python` (the interpreter for python blocks), `output_limit`
    (bytes kept per call, default 1 MiB), `env` ({name: value} added to the environment),
    `cleanup_code_files`, `run_log` (a JSON line per block in work_dir/codeexec-runs.jsonl).

    Where codeexec differs on purpose: a timeout kills the block's whole process group and keeps
    its output so far; stdout and stderr keep their real order; a first-line `# comment` is a file
    name only when it looks like one (`# test.py`), never `# Calculate the sum`.
    """

    _registry_name = "local"
    SUPPORTED_LANGUAGES: ClassVar[List[str]] = list(AUTOGEN_EXECUTION_POLICY)
    DEFAULT_EXECUTION_POLICY: ClassVar[Dict[str, bool]] = dict(AUTOGEN_EXECUTION_POLICY)
    FUNCTION_PROMPT_TEMPLATE: ClassVar[str] = _functions.FUNCTION_PROMPT_TEMPLATE

    def __init__(
        self,
        timeout: int = 60,
        virtual_env_context: Optional[Any] = None,
        work_dir: Optional[Union[Path, str]] = Path("."),
        functions: List[Any] = [],  # noqa: B006 - AutoGen's signature; never mutated
        functions_module: str = "functions",
        execution_policies: Optional[Dict[str, bool]] = None,
        *,
        all_languages: bool = False,
        on_output: Optional[OnOutput] = None,
        python: Optional[str] = None,
        output_limit: Optional[int] = None,
        env: Optional[Dict[str, str]] = None,
        cleanup_code_files: bool = False,
        run_log: bool = True,
    ) -> None:
        check_timeout(timeout)
        if not functions_module.isidentifier():
            raise ValueError("Module name must be a valid Python identifier")
        self._work_dir = make_work_dir(work_dir) if work_dir is not None else None
        self._functions = list(functions)
        self._functions_module = functions_module
        self.execution_policies = dict(self.DEFAULT_EXECUTION_POLICY)
        self.execution_policies.update(execution_policies or {})
        self._virtual_env_context = virtual_env_context
        config: Dict[str, Any] = {
            "timeout": timeout,
            "functions_module": functions_module,
            "execution_policies": policies_config(execution_policies, all_languages),
            "cleanup_code_files": cleanup_code_files,
            "run_log": run_log,
        }
        if self._work_dir is not None:
            config["work_dir"] = str(self._work_dir.resolve())
        if virtual_env_context is not None:
            env_dir = getattr(virtual_env_context, "env_dir", virtual_env_context)
            config["virtual_env"] = str(Path(env_dir).resolve())
        if self._functions:
            config["functions"] = _functions.to_config(self._functions)
        with_options(config, {"python": python, "output_limit": output_limit,
                              "env": dict(env) if env else None})
        super().__init__(config, on_output=on_output,
                         languages=None if all_languages else AUTOGEN_LANGUAGES)

    @property
    def functions(self) -> List[Any]:
        return self._functions

    @property
    def functions_module(self) -> str:
        return self._functions_module

    def format_functions_for_prompt(self, prompt_template: str = FUNCTION_PROMPT_TEMPLATE) -> str:
        """The functions' signatures and docstrings, and how to import them, for a prompt."""
        return _functions.format_functions_for_prompt(self._functions, self._functions_module,
                                                      prompt_template)

    @staticmethod
    def sanitize_command(lang: str, code: str) -> None:
        """Raises ValueError("Potentially dangerous command detected: ...") for a shell block
        that deletes recursively, moves files to /dev/null, runs dd, writes to a disk device or
        is a fork bomb, as AutoGen's local executor does. A guard rail, not a security boundary."""
        if lang.lower() not in ("bash", "shell", "sh"):
            return
        for pattern, message in _DANGEROUS_SHELL:
            if pattern.search(code):
                raise ValueError(f"Potentially dangerous command detected: {message}")

    def execute_code_blocks(self, code_blocks, **kwargs) -> CommandLineCodeResult:
        """Runs the blocks (see Executor.execute_code_blocks). Dangerous shell commands are
        refused (ValueError) before any block runs."""
        for block in code_blocks:
            language, code = block if isinstance(block, tuple) else (block.language, block.code)
            self.sanitize_command(language or "", code)
        return super().execute_code_blocks(code_blocks, **kwargs)  # type: ignore[return-value]

    def restart(self) -> None:
        """Nothing to restart (no state is kept between calls); warns, as AutoGen does."""
        warnings.warn("Restarting local command line code executor is not supported. "
                      "No action is taken.")
