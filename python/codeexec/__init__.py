"""codeexec: AutoGen's code executors, run by a C++ engine.

Drop-in for `autogen.coding` (AutoGen 0.2 and AG2): the same class names, constructor parameters
and defaults, results and extractor, so that

    from codeexec import LocalCommandLineCodeExecutor
    agent = ConversableAgent("executor", llm_config=False,
                             code_execution_config={"executor": LocalCommandLineCodeExecutor()})

works unchanged. AutoGen 0.4's async interface is in `codeexec.autogen_ext`. Beyond AutoGen:
live events (`on_output`, `stream`), per-block results, `cancel()` from any thread, Ctrl-C
cancels the running block, the GIL released while code runs, and typed exceptions for the
executor's own failures. See docs/python.md.
"""

from . import _codeexec
from ._base import Executor, SynthesizedBlock, SynthesizedEvent
from ._errors import (CodeexecError, ExecutorTimeoutError, FailedPreconditionError,
                      InternalError, InvalidArgumentError, NotFoundError, PermissionDeniedError,
                      ResourceExhaustedError, UnavailableError, ERROR_TYPES)
from ._functions import (Alias, FunctionWithRequirements, FunctionWithRequirementsStr,
                         ImportFromModule, with_requirements)
from ._types import (CodeBlock, CodeResult, CommandLineCodeResult, IPythonCodeResult,
                     MarkdownCodeExtractor, content_str, infer_lang)
from .docker import DockerCommandLineCodeExecutor
from .jupyter import JupyterCodeExecutor, JupyterConnectionInfo
from .local import LocalCommandLineCodeExecutor
from .sandbox import SandboxCodeExecutor

_codeexec.set_error_types(ERROR_TYPES)

CancellationToken = _codeexec.CancellationToken
Event = _codeexec.Event
BlockResult = _codeexec.BlockResult
CodeExecutor = Executor  # the base class of the executors above


def format_reply(result: CodeResult) -> str:
    """The reply AutoGen's agent sends for a result:
    "exitcode: N (execution succeeded|failed)\\nCode output: OUTPUT"."""
    return _codeexec.format_reply(result.output, result.exit_code)


__version__ = "0.1.0"

__all__ = [
    "Alias", "BlockResult", "CancellationToken", "CodeBlock", "CodeExecutor", "CodeResult",
    "CodeexecError", "CommandLineCodeResult", "DockerCommandLineCodeExecutor", "Event",
    "ExecutorTimeoutError", "FailedPreconditionError", "FunctionWithRequirements",
    "FunctionWithRequirementsStr", "IPythonCodeResult", "ImportFromModule", "InternalError",
    "InvalidArgumentError", "JupyterCodeExecutor", "JupyterConnectionInfo",
    "LocalCommandLineCodeExecutor", "MarkdownCodeExtractor", "NotFoundError",
    "PermissionDeniedError", "ResourceExhaustedError", "SandboxCodeExecutor",
    "SynthesizedBlock", "SynthesizedEvent", "UnavailableError", "content_str", "format_reply",
    "infer_lang", "with_requirements",
]
