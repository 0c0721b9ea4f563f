"""DockerCommandLineCodeExecutor: AutoGen 0.2's Docker executor, run by codeexec.

codeexec talks to the Docker Engine API itself (no `docker` Python package): the daemon at
$DOCKER_HOST or /var/run/docker.sock. One container per executor, `work_dir` mounted at
/workspace; blocks run through codeexec's runner inside the container (a few ms rather than an
exec's tens of ms). No container outlives the executor, even when this process crashes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Dict, List, Optional, Union

from . import _functions
from ._base import (AUTOGEN_EXECUTION_POLICY, AUTOGEN_LANGUAGES, Executor, OnOutput,
                    check_timeout, make_work_dir, policies_config, with_options)


class DockerCommandLineCodeExecutor(Executor):
    """Runs each code block in a Docker container that lives as long as the executor.

    AutoGen 0.2's constructor and defaults: `image` ("python:3-slim"; without a registry, build
    codeexec/python:bookworm with `codeexec docker build-image`), `container_name` (default
    codeexec-<random>; a leftover codeexec container of that name is replaced), `timeout`,
    `work_dir` (default the current folder, created if missing; None: a temporary folder removed
    at stop()), `bind_dir` (the path the daemon
    mounts, when this process itself runs in a container), `auto_remove`, `stop_container`,
    `execution_policies` (as the local executor's).

    codeexec's own keyword options: `all_languages`, `on_output`, `functions`, `functions_module`,
    `extra_volumes`, `extra_hosts`, `init_command`, `env`, `network_mode` ("none" for no network),
    `memory_limit` (bytes or "512m"), `cpus`, `pids_limit`, `output_limit`, `python`, and any other
    key of docs/docker.md's JSON configuration (`user`, `cap_add`, `tmpfs`, `docker_host`, ...).

    Errors: the daemon not reachable raises codeexec.UnavailableError (a ConnectionError) saying
    where it looked and how to start one; an image missing and not pullable raises
    codeexec.NotFoundError naming the image and how to build or load one.
    """

    _registry_name = "docker"
    DEFAULT_EXECUTION_POLICY: ClassVar[Dict[str, bool]] = dict(AUTOGEN_EXECUTION_POLICY)
    LANGUAGE_ALIASES: ClassVar[Dict[str, str]] = {"py": "python", "js": "javascript"}

    def __init__(
        self,
        image: str = "python:3-slim",
        container_name: Optional[str] = None,
        timeout: int = 60,
        work_dir: Optional[Union[Path, str]] = Path("."),
        bind_dir: Optional[Union[Path, str]] = None,
        auto_remove: bool = True,
        stop_container: bool = True,
        execution_policies: Optional[Dict[str, bool]] = None,
        *,
        all_languages: bool = False,
        on_output: Optional[OnOutput] = None,
        functions: List[Any] = [],  # noqa: B006 - as the local executor's
        functions_module: str = "functions",
        **options: Any,
    ) -> None:
        check_timeout(timeout)
        self._work_dir = make_work_dir(work_dir) if work_dir is not None else None
        self.execution_policies = dict(self.DEFAULT_EXECUTION_POLICY)
        self.execution_policies.update(execution_policies or {})
        config: Dict[str, Any] = {
            "image": image,
            "timeout": timeout,
            "auto_remove": auto_remove,
            "stop_container": stop_container,
            "execution_policies": policies_config(execution_policies, all_languages),
            "functions_module": functions_module,
        }
        if self._work_dir is not None:
            config["work_dir"] = str(self._work_dir.resolve())
        if container_name:
            config["container_name"] = container_name
        if bind_dir is not None:
            config["bind_dir"] = str(bind_dir)
        if functions:
            config["functions"] = _functions.to_config(list(functions))
        super().__init__(with_options(config, options), on_output=on_output,
                         languages=None if all_languages else AUTOGEN_LANGUAGES)
        self._bind_dir = Path(bind_dir) if bind_dir is not None else self._work_dir

    @property
    def bind_dir(self) -> Path:
        return self._bind_dir

    @property
    def container_name(self) -> str:
        return self._native.info()["container_name"]

    @property
    def container_id(self) -> str:
        """The container's id (a new one after restart())."""
        return self._native.info()["container_id"]
