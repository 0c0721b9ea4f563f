"""Shared fixtures. Tests that need Docker or a root sandbox skip on a machine without them, and
fail in CI (CI=true), where both must be there."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import codeexec

IN_CI = os.environ.get("CI") == "true"
DOCKER_IMAGE = os.environ.get("CODEEXEC_TEST_IMAGE", "codeexec/python:bookworm")
SOURCE_DIR = Path(os.environ.get("CODEEXEC_SOURCE_DIR", Path(__file__).resolve().parents[2]))


def require(condition: bool, reason: str) -> None:
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must provide this: {reason}")
    pytest.skip(reason)


@pytest.fixture
def work_dir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture
def local(work_dir: Path):
    with codeexec.LocalCommandLineCodeExecutor(timeout=10, work_dir=work_dir) as executor:
        yield executor


@pytest.fixture(scope="module")
def docker_executor_factory():
    """Makes Docker executors of the test image, or skips (fails in CI) without a daemon."""
    made = []

    def make(**kwargs):
        kwargs.setdefault("image", DOCKER_IMAGE)
        try:
            executor = codeexec.DockerCommandLineCodeExecutor(**kwargs)
        except (codeexec.UnavailableError, codeexec.NotFoundError) as error:
            require(False, f"Docker with the image {DOCKER_IMAGE}: {error}")
        made.append(executor)
        return executor

    yield make
    for executor in made:
        executor.stop()


def have_ipykernel() -> bool:
    return shutil.which("jupyter") is not None or Path("/usr/share/jupyter/kernels/python3").exists()
