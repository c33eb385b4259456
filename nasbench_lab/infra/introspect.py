"""Read hyper-parameters off constructors: keyword-only arguments and their defaults."""
from __future__ import annotations

import inspect
from typing import Any, Callable


def keyword_defaults(obj: Callable[..., Any]) -> dict[str, Any]:
    """Keyword-only parameters of ``obj`` (a class: its ``__init__``) with their defaults, in
    declaration order; a keyword-only parameter without a default maps to ``inspect.Parameter.empty``."""
    target = obj.__init__ if inspect.isclass(obj) else obj
    return {
        p.name: p.default
        for p in inspect.signature(target).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


def first_doc_line(obj: Any) -> str:
    """The first line of ``obj``'s docstring, else its name."""
    doc = inspect.getdoc(obj) or ""
    return doc.splitlines()[0] if doc else getattr(obj, "__name__", type(obj).__name__)


def required_positional(func: Callable[..., Any]) -> int:
    """How many positional parameters ``func`` (a bound method: after ``self``) needs."""
    return sum(1 for p in inspect.signature(func).parameters.values()
               if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty)
