"""What every executor class of the package shares: creating the C++ executor, running blocks with
live events and cancellation, per-block results, the AutoGen language set, the context manager.
"""

from __future__ import annotations

import json
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, List, Optional, Sequence, Union

from . import _codeexec
from ._types import CodeResult, CommandLineCodeResult, MarkdownCodeExtractor, command_line_result

OnOutput = Callable[[Any], None]

# The languages AutoGen 0.2's command line executors know, by codeexec's names (their aliases
# follow from the language table: py, shell, powershell, ps1, js, ...).
AUTOGEN_LANGUAGES = frozenset({"python", "bash", "sh", "pwsh", "javascript", "html", "css"})
# AutoGen's DEFAULT_EXECUTION_POLICY, by AutoGen's names.
AUTOGEN_EXECUTION_POLICY = {
    "bash": True, "shell": True, "sh": True, "pwsh": True, "powershell": True, "ps1": True,
    "python": True, "javascript": False, "html": False, "css": False,
}


@dataclass
class SynthesizedBlock:
    """The result of a block the package refused before the C++ executor saw it (a language
    outside AutoGen's set), with BlockResult's fields."""

    language: str
    exit_code: int = 1
    status: str = "error"
    output: str = ""
    stdout: str = ""
    stderr: str = ""
    code_file: Optional[str] = None
    output_files: List[str] = field(default_factory=list)
    duration: float = 0.0


@dataclass
class SynthesizedEvent:
    """An event for a SynthesizedBlock, with Event's fields."""

    type: str
    block: int
    language: str = ""
    text: str = ""
    exit_code: int = 0
    status: str = "ok"
    code_file: Optional[str] = None
    path: Optional[str] = None
    mime: str = ""
    duration: float = 0.0


def check_timeout(timeout: Union[int, float]) -> None:
    if timeout < 1:
        raise ValueError("Timeout must be greater than or equal to 1.")


def make_work_dir(work_dir: Union[str, Path]) -> Path:
    """AutoGen's rule: the folder is created if missing, but not its parents (FileNotFoundError)."""
    path = Path(work_dir)
    path.mkdir(exist_ok=True)
    return path


def with_options(config: dict, options: dict) -> dict:
    """`config` with the caller's further options for the C++ executor (None values left out,
    paths as text)."""
    for key, value in options.items():
        if value is not None:
            config[key] = str(value) if isinstance(value, Path) else value
    return config


def policies_config(execution_policies: Optional[dict], all_languages: bool) -> dict:
    """AutoGen's {language: bool} as the C++ executors' {language: "run"|"save"}: AutoGen's
    defaults under the user's, or with `all_languages` the language table's under the user's."""
    merged = {} if all_languages else dict(AUTOGEN_EXECUTION_POLICY)
    merged.update(execution_policies or {})
    return {lang: ("run" if run else "save") for lang, run in merged.items()}


class Executor:
    """The methods every executor class has. Subclasses build `config` and choose the result type.

    Threads: execute_code_blocks may be called from several threads (the local and sandbox
    executors run calls at once; Docker and Jupyter one at a time, in arrival order). cancel(),
    stop() and restart() may come from any thread while code runs. The GIL is released while code
    runs.
    """

    _registry_name = ""
    _result_type: type = CommandLineCodeResult
    _result = staticmethod(command_line_result)

    def __init__(self, config: dict, *, on_output: Optional[OnOutput] = None,
                 languages: Optional[frozenset] = None) -> None:
        self._on_output = on_output
        self._languages = languages
        self._timeout = config.get("timeout", 60)
        self._native = _codeexec.create(self._registry_name, json.dumps(config))
        if getattr(self, "_work_dir", None) is None:
            self._work_dir = Path(self._native.info().get("work_dir", "."))

    # --- AutoGen's protocol ------------------------------------------------------------------

    @property
    def code_extractor(self) -> MarkdownCodeExtractor:
        """The extractor that finds the blocks this executor runs (Markdown fences)."""
        return MarkdownCodeExtractor()

    def execute_code_blocks(self, code_blocks: Sequence[Any], *,
                            on_output: Optional[OnOutput] = None,
                            timeout: Optional[float] = None,
                            stdin: Optional[str] = None,
                            args: Iterable[str] = (),
                            cancellation_token: Optional[_codeexec.CancellationToken] = None,
                            ) -> CodeResult:
        """Runs the blocks in order and stops at the first that fails.

        Beyond AutoGen: `on_output` receives each Event as it happens (block_start, stdout,
        stderr, note, file, block_end; it runs on an executor thread and must return quickly; if
        it raises, the call is cancelled and the exception raised here), `timeout` replaces the
        executor's for this call, `stdin` is what the programs read, `args` follow each block's
        file on its command line, and `cancellation_token.cancel()` from any thread stops the call.
        """
        callback = on_output if on_output is not None else self._on_output
        blocks, refused = self._split_refused(code_blocks)
        if blocks or refused is None:
            result = self._result(self._native.execute(blocks, callback, timeout, stdin,
                                                       list(args), cancellation_token))
        else:
            result = self._result_type(exit_code=0, output="")
        if refused is not None and result.exit_code == 0:
            self._refuse(result, len(blocks), refused, callback)
        return result

    def restart(self) -> None:
        """Returns the executor to a fresh state (a new kernel or container), after cancelling
        and waiting for the calls that run."""
        self._native.restart()

    # --- codeexec's additions ----------------------------------------------------------------

    def stop(self) -> None:
        """Cancels what runs and releases what the executor holds (processes, container, kernel,
        a temporary work folder). Idempotent; also done when the executor is garbage-collected."""
        self._native.stop()

    def cancel(self) -> None:
        """Cancels every call running now, from any thread: their processes are killed, their
        output so far kept, "\\nCancelled" appended (exit code 125; Jupyter interrupts the
        kernel)."""
        self._native.cancel()

    def stream(self, code_blocks: Sequence[Any], **kwargs: Any) -> Iterator[Any]:
        """Runs the blocks on a worker thread and yields each Event as it happens, then, last, the
        result. Leaving the loop early cancels the call."""
        events: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        done = object()
        token = kwargs.pop("cancellation_token", None) or _codeexec.CancellationToken()
        outcome: dict = {}

        def run() -> None:
            try:
                outcome["result"] = self.execute_code_blocks(
                    code_blocks, on_output=events.put, cancellation_token=token, **kwargs)
            except BaseException as error:  # handed to the consumer below
                outcome["error"] = error
            finally:
                events.put(done)

        worker = threading.Thread(target=run, name="codeexec-stream", daemon=True)
        worker.start()
        try:
            while (item := events.get()) is not done:
                yield item
        finally:
            if worker.is_alive():
                token.cancel()
            worker.join()
        if "error" in outcome:
            raise outcome["error"]
        yield outcome["result"]

    @property
    def timeout(self) -> int:
        """Seconds each block may run."""
        return self._timeout

    @property
    def work_dir(self) -> Path:
        """Where blocks are written and run (for Jupyter: the local kernel's working folder)."""
        return self._work_dir

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        self.stop()

    # --- for subclasses ----------------------------------------------------------------------

    def _split_refused(self, code_blocks: Sequence[Any]):
        """The blocks before the first one whose language is outside the executor's set, and
        that language (lower case) or None."""
        blocks = list(code_blocks)
        if self._languages is None:
            return blocks, None
        for index, block in enumerate(blocks):
            tag = block[0] if isinstance(block, tuple) else (block.language or "")
            if _codeexec.canonical_language(tag) not in self._languages:
                return blocks[:index], tag.lower()
        return blocks, None

    @staticmethod
    def _refuse(result: CodeResult, index: int, language: str,
                callback: Optional[OnOutput]) -> None:
        """Ends `result` as AutoGen does at an unknown language: "\\nunknown language X",
        exit code 1."""
        note = f"\nunknown language {language}"
        result.exit_code = 1
        result.status = "error"
        result.output += note
        result.blocks = list(result.blocks) + [SynthesizedBlock(language=language, output=note)]
        if callback is not None:
            callback(SynthesizedEvent("block_start", index, language=language))
            callback(SynthesizedEvent("note", index, text=note))
            callback(SynthesizedEvent("block_end", index, exit_code=1, status="error"))
