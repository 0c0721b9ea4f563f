"""Exceptions for the executor itself failing (the user's code failing is a result, not one).

Each class is also the built-in exception AutoGen raises in the same case, so that code written
for AutoGen's executors catches ours unchanged: a bad option or a missing kernel is a ValueError,
an unreachable daemon a ConnectionError, and so on. The message says what was wrong and what to
do about it.
"""

from __future__ import annotations


class CodeexecError(Exception):
    """Base class of every error codeexec's executors raise. `code` names the kind."""

    code = "internal"


class InvalidArgumentError(CodeexecError, ValueError):
    """A bad option or input: fix the call (AutoGen raises ValueError)."""

    code = "invalid_argument"


class NotFoundError(CodeexecError, ValueError, LookupError):
    """A named thing does not exist: a kernel, an image, an interpreter, a file."""

    code = "not_found"


class UnavailableError(CodeexecError, ConnectionError):
    """A peer cannot be reached: the Docker daemon, a kernel that will not start, a server."""

    code = "unavailable"


class ExecutorTimeoutError(CodeexecError, TimeoutError):
    """An executor operation (not the user's code) ran out of time."""

    code = "timeout"


class PermissionDeniedError(CodeexecError, PermissionError):
    """The operating system or a server refused."""

    code = "permission_denied"


class ResourceExhaustedError(CodeexecError, OSError):
    """Out of file descriptors, processes, disk, ..."""

    code = "resource_exhausted"


class FailedPreconditionError(CodeexecError, ValueError, RuntimeError):
    """The executor is in the wrong state (stopped, its kernel dead), or user functions failed to
    install or load (AutoGen raises ValueError for those)."""

    code = "failed_precondition"


class InternalError(CodeexecError, RuntimeError):
    """A bug or an unexpected system failure."""

    code = "internal"


ERROR_TYPES = {
    cls.code: cls
    for cls in (
        InvalidArgumentError,
        NotFoundError,
        UnavailableError,
        ExecutorTimeoutError,
        PermissionDeniedError,
        ResourceExhaustedError,
        FailedPreconditionError,
        InternalError,
    )
}
