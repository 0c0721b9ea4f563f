"""LocalCommandLineCodeExecutor on the behaviours AutoGen's own tests check, and codeexec's fixes."""

from __future__ import annotations

import sys
import venv
from pathlib import Path

import pytest

import codeexec
from codeexec import CodeBlock, LocalCommandLineCodeExecutor


def test_constructor_keeps_autogens_arguments(work_dir):
    executor = LocalCommandLineCodeExecutor(timeout=10, work_dir=str(work_dir))
    assert executor.timeout == 10
    assert executor.work_dir == Path(str(work_dir))
    assert executor.functions_module == "functions"
    assert executor.execution_policies["python"] is True
    assert executor.execution_policies["javascript"] is False


def test_bad_arguments_raise_autogens_errors(tmp_path):
    with pytest.raises(ValueError, match="Timeout must be greater than or equal to 1."):
        LocalCommandLineCodeExecutor(timeout=0, work_dir=tmp_path)
    with pytest.raises(FileNotFoundError):
        LocalCommandLineCodeExecutor(work_dir=tmp_path / "missing" / "deeper")
    with pytest.raises(ValueError, match="Module name must be a valid Python identifier"):
        LocalCommandLineCodeExecutor(work_dir=tmp_path, functions_module="not-a-name")


def test_missing_work_dir_is_created(tmp_path):
    LocalCommandLineCodeExecutor(work_dir=tmp_path / "new").stop()
    assert (tmp_path / "new").is_dir()


@pytest.mark.parametrize("language", ["python", "Python", "py"])
def test_python_variants_run(local, language):
    result = local.execute_code_blocks([CodeBlock(code="print('hi')", language=language)])
    assert (result.exit_code, result.output) == (0, "hi\n")
    assert result.code_file is not None and Path(result.code_file).exists()


def test_two_blocks_both_run(local):
    result = local.execute_code_blocks([CodeBlock(code="print('one')", language="python"),
                                        CodeBlock(code="echo two", language="bash")])
    assert result.exit_code == 0
    assert result.output == "one\ntwo\n"
    assert [b.exit_code for b in result.blocks] == [0, 0]


def test_execution_stops_at_the_first_failure(local):
    result = local.execute_code_blocks([CodeBlock(code="import sys; sys.exit(3)", language="python"),
                                        CodeBlock(code="echo never", language="sh")])
    assert result.exit_code == 3
    assert "never" not in result.output
    assert len(result.blocks) == 1


def test_stdout_and_stderr_keep_their_order_and_come_apart(local):
    # Writes a moment apart keep their order (two pipes: microseconds apart, they may not).
    code = ("import sys, time\nprint('out1')\ntime.sleep(0.2)\nprint('err', file=sys.stderr)\n"
            "time.sleep(0.2)\nprint('out2')")
    result = local.execute_code_blocks([CodeBlock(code=code, language="python")])
    assert result.output == "out1\nerr\nout2\n"
    assert (result.stdout, result.stderr) == ("out1\nout2\n", "err\n")


def test_filename_comment_names_the_file(local, work_dir):
    result = local.execute_code_blocks(
        [CodeBlock(code="# filename: test.py\nprint('named')", language="python")])
    assert result.exit_code == 0
    assert Path(result.code_file) == (work_dir / "test.py").resolve()
    bare = local.execute_code_blocks([CodeBlock(code="# other.py\nprint(1)", language="python")])
    assert Path(bare.code_file).name == "other.py"


def test_a_comment_is_not_a_file_name(local):
    result = local.execute_code_blocks(
        [CodeBlock(code="# Calculate the sum\nprint(1 + 1)", language="python")])
    assert result.output == "2\n"
    assert Path(result.code_file).name.startswith("tmp_code_")


@pytest.mark.parametrize("name", ["/tmp/test.py", "../escape.py"])
def test_workspace_escape_is_refused(local, name):
    result = local.execute_code_blocks(
        [CodeBlock(code=f"# filename: {name}\nprint('escaped')", language="python")])
    assert result.exit_code == 1
    assert "Filename is not in the workspace" in result.output


def test_timeout_kills_and_keeps_partial_output(work_dir):
    with LocalCommandLineCodeExecutor(timeout=3, work_dir=work_dir) as executor:
        result = executor.execute_code_blocks([CodeBlock(
            code="echo before; sleep 60 & wait", language="sh")])
    assert result.exit_code == 124
    assert result.status == "timeout"
    assert result.output.startswith("before\n")
    assert result.output.endswith("\nTimeout")


def test_unknown_language_stops_with_autogens_text(local):
    result = local.execute_code_blocks([CodeBlock(code="echo first", language="sh"),
                                        CodeBlock(code="puts 1", language="Ruby"),
                                        CodeBlock(code="echo never", language="sh")])
    assert result.exit_code == 1
    assert result.output == "first\n\nunknown language ruby"
    assert [b.language for b in result.blocks] == ["sh", "ruby"]


def test_all_languages_opens_the_whole_table(work_dir):
    with LocalCommandLineCodeExecutor(work_dir=work_dir, all_languages=True) as executor:
        result = executor.execute_code_blocks([CodeBlock(code="echo ok", language="bash"),
                                               CodeBlock(code="x", language="no-such-language")])
    assert result.output == "ok\n\nunknown language no-such-language"


@pytest.mark.parametrize("language,code,name", [
    ("javascript", "// filename: test.js\nconsole.log('x')", "test.js"),
    ("html", "<!-- filename: test.html -->\n<p>x</p>", "test.html"),
    ("css", "/* filename: test.css */\np {}", "test.css"),
])
def test_save_only_languages_are_saved_not_run(local, work_dir, language, code, name):
    result = local.execute_code_blocks([CodeBlock(code=code, language=language)])
    assert result.exit_code == 0
    assert result.output == f"Code saved to {(work_dir / name).resolve()}\n"
    assert (work_dir / name).exists()


def test_execution_policies_switch_languages_off(work_dir):
    policies = {"python": False, "bash": False}
    with LocalCommandLineCodeExecutor(work_dir=work_dir, execution_policies=policies) as executor:
        assert executor.execution_policies["python"] is False
        result = executor.execute_code_blocks([CodeBlock(code="print('no')", language="python"),
                                               CodeBlock(code="echo no", language="bash")])
    assert result.exit_code == 0
    assert "no\n" not in result.output
    assert result.output.count("Code saved to") == 2


@pytest.mark.parametrize("code,message", [
    ("rm -rf /", "Use of 'rm -rf' command is not allowed."),
    ("mv important.txt /dev/null", "Moving files to /dev/null is not allowed."),
    ("dd if=/dev/zero of=/dev/sda", "Use of 'dd' command is not allowed."),
    ("echo x > /dev/sda", "Overwriting disk blocks directly is not allowed."),
    (":(){ :|:& };:", "Fork bombs are not allowed."),
])
def test_dangerous_shell_commands_are_refused(local, work_dir, code, message):
    with pytest.raises(ValueError, match="Potentially dangerous command detected: " +
                       message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        local.execute_code_blocks([CodeBlock(code="touch ran", language="sh"),
                                   CodeBlock(code=code, language="bash")])
    assert not (work_dir / "ran").exists()  # refused before anything ran


def test_restart_warns_as_autogen(local):
    with pytest.warns(UserWarning, match="Restarting local command line code executor"):
        local.restart()


def test_user_functions_are_importable(work_dir):
    def add_two_numbers(a: int, b: int) -> int:
        """Add two numbers together."""
        return a + b

    @codeexec.with_requirements(global_imports=["math"])
    def circle_area(radius: float) -> float:
        return math.pi * radius ** 2  # noqa: F821 - imported in the functions module

    with LocalCommandLineCodeExecutor(work_dir=work_dir,
                                      functions=[add_two_numbers, circle_area]) as executor:
        result = executor.execute_code_blocks([CodeBlock(
            code="from functions import add_two_numbers, circle_area\n"
                 "print(add_two_numbers(1, 2))\nprint(round(circle_area(1), 2))",
            language="python")])
        assert (result.exit_code, result.output) == (0, "3\n3.14\n")
        prompt = executor.format_functions_for_prompt()
        assert "def add_two_numbers(a: 'int', b: 'int') -> 'int':" in prompt  # postponed
        assert "Add two numbers together." in prompt


def test_user_function_from_text_and_its_runtime_error(work_dir):
    func = codeexec.FunctionWithRequirements.from_str("def boom():\n    raise TypeError('bad')\n")
    with LocalCommandLineCodeExecutor(work_dir=work_dir, functions=[func]) as executor:
        result = executor.execute_code_blocks(
            [CodeBlock(code="from functions import boom\nboom()", language="python")])
    assert result.exit_code == 1
    assert "TypeError: bad" in result.output
    with pytest.raises(ValueError, match="Could not compile function"):
        codeexec.FunctionWithRequirements.from_str("def broken(:\n")


def test_bad_function_imports_raise_value_error(work_dir):
    @codeexec.with_requirements(global_imports=["no_such_module_here"])
    def uses_it() -> None:
        pass

    with LocalCommandLineCodeExecutor(work_dir=work_dir, functions=[uses_it]) as executor:
        with pytest.raises(ValueError):
            executor.execute_code_blocks([CodeBlock(code="print(1)", language="python")])


def test_virtual_env_runs_python_blocks(tmp_path, work_dir):
    context = venv.EnvBuilder(with_pip=False).ensure_directories(tmp_path / "venv")
    venv.EnvBuilder(with_pip=False).create(tmp_path / "venv")
    with LocalCommandLineCodeExecutor(work_dir=work_dir,
                                      virtual_env_context=context) as executor:
        result = executor.execute_code_blocks([CodeBlock(
            code="import sys; print(sys.prefix != sys.base_prefix)", language="python")])
    assert result.output == "True\n"


def test_temporary_work_dir_is_removed_at_stop():
    executor = LocalCommandLineCodeExecutor(work_dir=None)
    folder = executor.work_dir
    assert folder.is_dir()
    executor.stop()
    assert not folder.exists()


def test_stopped_executor_raises_a_typed_error(work_dir):
    executor = LocalCommandLineCodeExecutor(work_dir=work_dir)
    executor.stop()
    with pytest.raises(codeexec.FailedPreconditionError):
        executor.execute_code_blocks([CodeBlock(code="print(1)", language="python")])


def test_output_limit_bounds_what_is_kept(work_dir):
    with LocalCommandLineCodeExecutor(work_dir=work_dir, output_limit=1000) as executor:
        result = executor.execute_code_blocks(
            [CodeBlock(code="print('x' * 100000)", language="python")])
    assert result.truncated and result.status == "output_limit"
    assert len(result.output) < 2000


def test_interpreter_option(work_dir):
    with LocalCommandLineCodeExecutor(work_dir=work_dir, python=sys.executable) as executor:
        result = executor.execute_code_blocks(
            [CodeBlock(code="import sys; print(sys.executable)", language="python")])
    assert result.output.strip() == sys.executable
