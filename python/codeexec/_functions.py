"""User functions (AutoGen's `functions`): Python callables the executed code can import.

An executor given functions writes them, with their imports, to `work_dir/<functions_module>.py`
before its first execution (their pip packages installed first), so that code can write
`from functions import add_two_numbers`. A function is a plain callable (its source is taken with
`inspect`), one wrapped by `with_requirements(python_packages=..., global_imports=...)`, or one
given as source text with `FunctionWithRequirements.from_str`. AutoGen's own objects of those
kinds are accepted too.
"""

from __future__ import annotations

import functools
import inspect
import textwrap
from dataclasses import dataclass, field
from string import Template
from typing import Any, Callable, List, Union

FUNCTION_PROMPT_TEMPLATE = """You have access to the following user defined functions. They can \
be accessed from the module called `$module_name` by their function names.

For example, if there was a function called `foo` you could import it by writing \
`from $module_name import foo`

$functions"""


@dataclass
class Alias:
    """`import name as alias`."""

    name: str
    alias: str


@dataclass
class ImportFromModule:
    """`from module import a, b as c` (each import a name or an Alias)."""

    module: str
    imports: List[Union[str, Alias]]


Import = Union[str, ImportFromModule, Alias]


@dataclass
class FunctionWithRequirements:
    """A callable with the pip packages and module-level imports it needs."""

    func: Callable[..., Any]
    python_packages: List[str] = field(default_factory=list)
    global_imports: List[Import] = field(default_factory=list)

    @classmethod
    def from_callable(cls, func, python_packages=(), global_imports=()):
        return cls(func=func, python_packages=list(python_packages),
                   global_imports=list(global_imports))

    @staticmethod
    def from_str(func: str, python_packages=(), global_imports=()):
        return FunctionWithRequirementsStr(func, list(python_packages), list(global_imports))

    def __call__(self, *args, **kwargs):
        return self.func(*args, **kwargs)


class FunctionWithRequirementsStr:
    """A function given as source text; it must compile and define exactly one function."""

    def __init__(self, func: str, python_packages=(), global_imports=()):
        self.func = func
        self.python_packages = list(python_packages)
        self.global_imports = list(global_imports)
        namespace: dict = {}
        try:
            exec(compile(func, "<function>", "exec"), namespace)  # noqa: S102 - the user's own
        except Exception as error:
            raise ValueError(f"Could not compile function: {error}") from error
        functions = [value for value in namespace.values() if inspect.isfunction(value)]
        if len(functions) != 1:
            raise ValueError("The string must contain exactly one function")
        self._compiled_func = functions[0]
        self._func_name = functions[0].__name__

    def __call__(self, *args, **kwargs):
        raise NotImplementedError(
            "String based function with requirement objects are not directly callable")


def with_requirements(python_packages=(), global_imports=()):
    """Decorator: the function needs these pip packages and module-level imports."""

    def wrap(func):
        wrapped = FunctionWithRequirements(func=func, python_packages=list(python_packages),
                                           global_imports=list(global_imports))
        functools.update_wrapper(wrapped, func)
        return wrapped

    return wrap


def import_statement(item: Any) -> str:
    """One import as a statement: a module name, an Alias or an ImportFromModule (ours or
    AutoGen's)."""
    if isinstance(item, str):
        return f"import {item}"
    if hasattr(item, "module") and hasattr(item, "imports"):
        names = ", ".join(n if isinstance(n, str) else f"{n.name} as {n.alias}"
                          for n in item.imports)
        return f"from {item.module} import {names}"
    if hasattr(item, "name") and hasattr(item, "alias"):
        return f"import {item.name} as {item.alias}"
    raise ValueError(f"an import is a module name, an Alias or an ImportFromModule, not {item!r}")


def _source(func: Any) -> str:
    inner = getattr(func, "func", None)
    if isinstance(inner, str):  # from_str: the text as given
        return inner
    target = inner if callable(inner) and hasattr(func, "python_packages") else func
    source = textwrap.dedent(inspect.getsource(target))
    lines = source.splitlines(keepends=True)
    while lines and lines[0].lstrip().startswith("@"):  # with_requirements and other decorators
        lines.pop(0)
    return "".join(lines)


def to_config(functions: List[Any]) -> List[dict]:
    """The executors' JSON form: [{"source", "imports", "packages"}]."""
    config = []
    for func in functions:
        config.append({
            "source": _source(func),
            "imports": [import_statement(i) for i in getattr(func, "global_imports", [])],
            "packages": list(getattr(func, "python_packages", [])),
        })
    return config


def _stub(func: Any) -> str:
    target = getattr(func, "_compiled_func", None) or getattr(func, "func", None) or func
    if isinstance(target, str):
        raise ValueError("a function given as text must compile")
    text = f"def {target.__name__}{inspect.signature(target)}:\n"
    if target.__doc__:
        text += textwrap.indent('"""' + textwrap.dedent(target.__doc__) + '"""', "    ") + "\n"
    return text + "    ..."


def format_functions_for_prompt(functions: List[Any], module: str,
                                prompt_template: str = FUNCTION_PROMPT_TEMPLATE) -> str:
    """The prompt text that tells a model which functions it may import, and from where."""
    return Template(prompt_template).substitute(
        module_name=module, functions="\n\n".join(_stub(f) for f in functions))
