"""Builds codeexec._codeexec with CMake from this repository (metadata is in pyproject.toml).

The extension is one self-contained shared module: it links codeexec's static, position-independent
libraries, so nothing else needs installing. Needs cmake, g++, the C++ dependencies that
scripts/setup.sh installs, python3-dev and pybind11-dev. CMAKE_BUILD_PARALLEL_LEVEL sets the jobs
(default: every CPU); CODEEXEC_BUILD_DIR an existing build tree to use.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent  # the repository's root CMakeLists.txt


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        if not (SOURCE / "CMakeLists.txt").exists():
            raise RuntimeError(f"codeexec's C++ sources are not at {SOURCE}: build the package "
                               "from a checkout of the repository (pip install ./python)")
        # An existing, configured build tree of this repository (CODEEXEC_BUILD_PYTHON on) saves
        # building the libraries again; by default a tree of its own under build/.
        existing = os.environ.get("CODEEXEC_BUILD_DIR")
        build = Path(existing).resolve() if existing else Path(self.build_temp).resolve() / "cmake"
        configure = [
            "cmake", "-S", str(SOURCE), "-B", str(build),
            "-DCMAKE_BUILD_TYPE=Release",
            "-DCODEEXEC_BUILD_PYTHON=ON",
            "-DCODEEXEC_BUILD_TESTS=OFF",
            "-DCODEEXEC_BUILD_BENCHMARKS=OFF",
            "-DCODEEXEC_BUILD_EXAMPLES=OFF",
            f"-DPython_EXECUTABLE={sys.executable}",
        ]
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        if not existing:
            subprocess.run(configure, check=True)
        subprocess.run(["cmake", "--build", str(build), "--target", "_codeexec", "-j", jobs],
                       check=True)
        built = next((build / "python" / "codeexec").glob("_codeexec*.so"))
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, target)


setup(ext_modules=[Extension("codeexec._codeexec", sources=[])],
      cmdclass={"build_ext": CMakeBuild})
