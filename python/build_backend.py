"""The PEP 517 backend of `pip install ./python`: setuptools, taken from the system.

pip builds in an isolated environment and would download the backend's requirements from an
index; this backend needs none (pyproject.toml lists nothing), and borrows the interpreter's own
setuptools and wheel (Debian: python3-setuptools, python3-wheel) from the system's package
folders, which isolation hides. So the build works offline. setup.py then builds the extension
with CMake.
"""

from __future__ import annotations

import os
import sys
import sysconfig


def _system_package_dirs() -> list:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    dirs = [
        "/usr/lib/python3/dist-packages",  # Debian and Ubuntu
        f"/usr/local/lib/python{version}/dist-packages",
    ]
    paths = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})
    dirs += [paths["purelib"], paths["platlib"]]
    return [d for d in dict.fromkeys(dirs) if os.path.isdir(d)]


try:
    import setuptools  # noqa: F401 - present when pip runs without build isolation
    import wheel  # noqa: F401
except ImportError:
    sys.path.extend(d for d in _system_package_dirs() if d not in sys.path)

from setuptools import build_meta as _setuptools  # noqa: E402


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


prepare_metadata_for_build_wheel = _setuptools.prepare_metadata_for_build_wheel
build_wheel = _setuptools.build_wheel
build_sdist = _setuptools.build_sdist
build_editable = getattr(_setuptools, "build_editable", None)
prepare_metadata_for_build_editable = getattr(_setuptools, "prepare_metadata_for_build_editable",
                                              None)
