"""What an object can reach: used to prove that an oracle holds no path to report metrics."""
from __future__ import annotations

import gc
import types


def reachable(root, limit: int = 50_000) -> list:
    """Objects reachable from ``root`` (stopping at modules, classes and functions' globals)."""
    seen, stack, out = set(), [root], []
    while stack and len(out) < limit:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, (types.ModuleType, type)):
            continue
        seen.add(id(obj))
        out.append(obj)
        refs = gc.get_referents(obj)
        if isinstance(obj, types.FunctionType):
            refs = [r for r in refs if r is not obj.__globals__]
        stack.extend(refs)
    return out
