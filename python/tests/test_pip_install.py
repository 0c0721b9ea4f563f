"""`pip install ./python` into a fresh virtual environment, with no package index at all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import SOURCE_DIR


def test_pip_install_offline_then_import_and_run(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)],
                   check=True)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")  # offline: no index at all
    install = subprocess.run([str(venv / "bin" / "pip"), "install", "./python"],
                             cwd=SOURCE_DIR, env=env, capture_output=True, text=True)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]

    script = (
        "import codeexec, pathlib\n"
        "assert pathlib.Path(codeexec.__file__).is_relative_to(pathlib.Path(r'%s'))\n"
        "with codeexec.LocalCommandLineCodeExecutor(work_dir='coding') as executor:\n"
        "    blocks = executor.code_extractor.extract_code_blocks(\n"
        "        '```python\\nprint(6 * 7)\\n```')\n"
        "    print(codeexec.format_reply(executor.execute_code_blocks(blocks)))\n" % venv)
    run = subprocess.run([str(venv / "bin" / "python"), "-c", script], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "exitcode: 0 (execution succeeded)\nCode output: 42\n\n"
