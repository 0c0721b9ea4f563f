"""The data types, the extractor, and AutoGen 0.2's CodeExecutor protocol."""

from __future__ import annotations

from typing import List, Protocol, runtime_checkable

import codeexec
from codeexec import CodeBlock, MarkdownCodeExtractor


@runtime_checkable
class AutoGenCodeExecutor(Protocol):
    """autogen.coding.base.CodeExecutor's members (0.2 and AG2), as its runtime check sees them."""

    @property
    def code_extractor(self): ...

    def execute_code_blocks(self, code_blocks: List[CodeBlock]): ...

    def restart(self) -> None: ...


def test_every_executor_class_satisfies_autogens_protocol(local):
    assert isinstance(local, AutoGenCodeExecutor)
    for cls in (codeexec.LocalCommandLineCodeExecutor, codeexec.DockerCommandLineCodeExecutor,
                codeexec.JupyterCodeExecutor, codeexec.SandboxCodeExecutor):
        for member in ("code_extractor", "execute_code_blocks", "restart", "stop", "__enter__",
                       "__exit__"):
            assert hasattr(cls, member), (cls, member)


def test_agent_reply_from_a_message(local):
    # What ConversableAgent does with code_execution_config={"executor": local}.
    message = "Run this:\n```python\nprint('hello from the agent')\n```\n"
    blocks = local.code_extractor.extract_code_blocks(message)
    result = local.execute_code_blocks(blocks)
    assert codeexec.format_reply(result) == (
        "exitcode: 0 (execution succeeded)\nCode output: hello from the agent\n")


def test_extractor_finds_tagged_untagged_and_indented_blocks():
    extractor = MarkdownCodeExtractor()
    text = "```python\nprint(1)\n```\ntext\n```\nx = 1\n```\n   ```sh\n   echo hi\n   ```\n"
    blocks = extractor.extract_code_blocks(text)
    assert blocks == [CodeBlock(code="print(1)", language="python"),
                      CodeBlock(code="x = 1", language="python"),
                      CodeBlock(code="   echo hi", language="sh")]


def test_extractor_crlf_unknown_and_no_fence():
    extractor = MarkdownCodeExtractor()
    assert extractor.extract_code_blocks("``` python\r\nprint(2)\r\n```") == [
        CodeBlock(code="print(2)", language="python")]
    assert extractor.extract_code_blocks("```\nusing System; class A { }\n```")[0].language == ""
    assert extractor.extract_code_blocks("no code block") == []
    assert extractor.extract_code_blocks(None) == []


def test_extractor_reads_message_parts():
    message = [{"type": "text", "text": "look:"}, {"type": "image_url", "image_url": {}},
               {"type": "text", "text": "```bash\necho x\n```"}]
    assert MarkdownCodeExtractor().extract_code_blocks(message) == [
        CodeBlock(code="echo x", language="bash")]


def test_infer_lang():
    assert codeexec.infer_lang("print('x')") == "python"
    assert codeexec.infer_lang("pip install autogen") == "sh"
    assert codeexec.infer_lang("dummy text") == "unknown"


def test_results_have_autogens_fields():
    result = codeexec.CommandLineCodeResult(exit_code=0, output="x", code_file="f.py")
    assert (result.exit_code, result.output, result.code_file, result.status) == (
        0, "x", "f.py", "ok")
    assert codeexec.IPythonCodeResult(exit_code=1, output="").output_files == []
