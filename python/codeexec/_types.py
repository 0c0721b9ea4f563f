"""The data AutoGen's executors exchange: code blocks, results, and the Markdown extractor.

Same names and fields as `autogen.coding` (0.2, AG2), as dataclasses rather than pydantic models:
`CodeBlock(code=..., language=...)`, `CodeResult(exit_code=..., output=...)`,
`CommandLineCodeResult.code_file`, `IPythonCodeResult.output_files`. Beyond AutoGen, every result
also says how the code ended (`status`), keeps stdout and stderr apart, and has one entry per
block run (`blocks`).
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from typing import Any, List, Optional

from . import _codeexec


@dataclass
class CodeBlock:
    """A code block found in a message: its code and the language of its fence."""

    code: str
    language: str


@dataclass
class ResultDetails:
    """What codeexec's results add to AutoGen's (keyword-only fields): `status` ("ok", "error",
    "timeout", "cancelled", "memory_limit", "output_limit", "setup_error", ...), the two streams
    apart, the call's wall time in seconds, whether output was cut at the output limit, and a
    `BlockResult` per block run (language, code_file, exit_code, status, output, stdout, stderr,
    output_files, duration)."""

    _: KW_ONLY
    status: str = "ok"
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0
    truncated: bool = False
    blocks: List[Any] = field(default_factory=list, repr=False)


@dataclass
class CodeResult(ResultDetails):
    """What running a message's code blocks gave: AutoGen's `exit_code` and `output`, and
    codeexec's ResultDetails."""

    exit_code: int
    output: str


@dataclass
class CommandLineCodeResult(CodeResult):
    """A command line executor's result: `code_file` is the first file written, if any."""

    code_file: Optional[str] = None


@dataclass
class IPythonCodeResult(CodeResult):
    """A Jupyter executor's result: `output_files` are the images and HTML the cells produced."""

    output_files: List[str] = field(default_factory=list)


def details(native: Any) -> dict:
    """The ResultDetails fields of a result (the extension's or the package's)."""
    return dict(
        status=native.status,
        stdout=native.stdout,
        stderr=native.stderr,
        duration=native.duration,
        truncated=native.truncated,
        blocks=native.blocks,
    )


def command_line_result(native: Any) -> CommandLineCodeResult:
    return CommandLineCodeResult(
        exit_code=native.exit_code,
        output=native.output,
        code_file=native.code_file,
        **details(native),
    )


def ipython_result(native: Any) -> IPythonCodeResult:
    return IPythonCodeResult(
        exit_code=native.exit_code,
        output=native.output,
        output_files=list(native.output_files),
        **details(native),
    )


def content_str(content: Any) -> str:
    """A message's text: a string as is; a list of parts (OpenAI style) with text parts joined by
    newlines and each image as "<image>"; None as ""."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise TypeError(f"content must be None, a string or a list of parts, not {type(content)}")
    texts = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            texts.append(part["text"])
        elif kind in ("image_url", "image"):
            texts.append("<image>")
        else:
            raise ValueError(f"a message part must have type 'text' or 'image_url', not {kind!r}")
    return "\n".join(texts)


class MarkdownCodeExtractor:
    """Finds the code blocks of a message: Markdown fences with an optional language tag, the
    language of untagged blocks inferred as AutoGen does (see docs/extraction.md)."""

    def extract_code_blocks(self, message: Any) -> List[CodeBlock]:
        text = content_str(message)
        return [CodeBlock(code=code, language=language)
                for language, code in _codeexec.extract_code_blocks(text)]


def infer_lang(code: str) -> str:
    """AutoGen's language guess for an untagged block: "sh", "python" or "unknown"."""
    return _codeexec.infer_language(code) or "unknown"
