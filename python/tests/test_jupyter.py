"""JupyterCodeExecutor on AutoGen's Jupyter tests: state, timeouts, restart, images, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import codeexec
from codeexec import CodeBlock, JupyterCodeExecutor


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("jupyter")
    with JupyterCodeExecutor(timeout=10, output_dir=folder, work_dir=folder) as executor:
        yield executor


def test_state_persists_between_blocks_and_calls(kernel):
    result = kernel.execute_code_blocks([CodeBlock(code="a = 123 + 123", language="python"),
                                         CodeBlock(code="print(a)", language="python")])
    assert (result.exit_code, result.output) == (0, "246\n")
    again = kernel.execute_code_blocks([CodeBlock(code="a * 2", language="python")])
    assert again.output.strip() == "492"
    assert isinstance(again, codeexec.IPythonCodeResult)


def test_error_gives_exit_1_and_the_error(kernel):
    result = kernel.execute_code_blocks([CodeBlock(code="undefined_name", language="python")])
    assert result.exit_code == 1
    assert "NameError" in result.output
    assert "\x1b[" not in result.output


def test_timeout_interrupts_and_keeps_state(tmp_path):
    with JupyterCodeExecutor(timeout=3, output_dir=tmp_path, work_dir=tmp_path) as executor:
        executor.execute_code_blocks([CodeBlock(code="x = 123", language="python")])
        result = executor.execute_code_blocks([CodeBlock(
            code="print('partial', flush=True)\nimport time\ntime.sleep(30)", language="python")])
        assert result.exit_code == 1 and "Timeout" in result.output
        assert "partial" in result.output
        assert executor.execute_code_blocks(
            [CodeBlock(code="print(x)", language="python")]).output == "123\n"
        executor.restart()
        after = executor.execute_code_blocks([CodeBlock(code="print(x)", language="python")])
        assert after.exit_code != 0 and "NameError" in after.output


def test_images_and_html_are_saved(kernel):
    code = ("from IPython.display import display, HTML, Image\n"
            "import base64\n"
            "png = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
            "/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==')\n"
            "display(Image(data=png))\n"
            "display(HTML('<b>bold</b>'))")
    events = []
    result = kernel.execute_code_blocks([CodeBlock(code=code, language="python")],
                                        on_output=events.append)
    assert result.exit_code == 0
    assert len(result.output_files) == 2
    image, html = result.output_files
    assert f"Image data saved to {image}" in result.output
    assert f"HTML data saved to {html}" in result.output
    assert Path(image).exists() and Path(html).read_text() == "<b>bold</b>"
    assert [e.mime for e in events if e.type == "file"] == ["image/png", "text/html"]


def test_bad_output_dir_and_missing_kernel_raise_autogens_errors(tmp_path):
    with pytest.raises(ValueError, match="Output directory .* does not exist."):
        JupyterCodeExecutor(output_dir=tmp_path / "missing")
    with pytest.raises(ValueError, match="Kernel .* is not installed."):
        JupyterCodeExecutor(kernel_name="no_such_kernel", output_dir=tmp_path)
    with pytest.raises(codeexec.NotFoundError):
        JupyterCodeExecutor(kernel_name="no_such_kernel", output_dir=tmp_path)


def test_cancel_interrupts_the_cell(kernel):
    import threading

    started = threading.Event()
    outcome = {}

    def run():
        outcome["result"] = kernel.execute_code_blocks(
            [CodeBlock(code="print('go', flush=True)\nimport time\ntime.sleep(60)",
                       language="python")],
            on_output=lambda e: started.set() if e.type == "stdout" else None)

    worker = threading.Thread(target=run)
    worker.start()
    assert started.wait(30)
    kernel.cancel()
    worker.join(30)
    assert outcome["result"].status == "cancelled"
    assert kernel.execute_code_blocks([CodeBlock(code="print(a)", language="python")]).output \
        == "246\n"
