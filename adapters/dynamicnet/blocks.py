"""The macro blocks of the DynamicNet space and their string form.

String form: blocks joined by ``|``; a block is ``conv<width>k<kernel>`` or ``dense<width>``,
then ``-<activation>``, then the optional tokens ``-bn``, ``-maxpool``/``-avgpool``,
``-drop<p>``, ``-skip`` (in that order when formatted; any order when parsed), e.g.
``conv16k3-relu-bn-maxpool|conv16k3-relu-skip|dense64-gelu-drop0.25``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from nasbench_lab.errors import ArchError

KINDS = ("conv", "dense")


@dataclass(frozen=True)
class Block:
    """One macro block. ``kernel`` and ``pool`` apply to conv blocks only (0 and "none" for
    dense blocks)."""

    kind: str
    width: int
    act: str = "relu"
    kernel: int = 0
    norm: bool = False
    pool: str = "none"
    dropout: float = 0.0
    skip: bool = False

    def token(self) -> str:
        head = f"conv{self.width}k{self.kernel}" if self.kind == "conv" else f"dense{self.width}"
        parts = [head, self.act]
        if self.norm:
            parts.append("bn")
        if self.pool != "none":
            parts.append(f"{self.pool}pool")
        if self.dropout:
            parts.append(f"drop{self.dropout:g}")
        if self.skip:
            parts.append("skip")
        return "-".join(parts)


Net = tuple  # tuple[Block, ...]

_HEAD = re.compile(r"^(?:conv(\d+)k(\d+)|dense(\d+))$")


def parse_blocks(text: str) -> Net:
    """The blocks a string spells (syntax only: membership of a space is checked by the space)."""
    if not isinstance(text, str) or not text.strip():
        raise ArchError(f"a DynamicNet architecture string is expected, got {text!r}")
    blocks = []
    for i, token in enumerate(text.strip().split("|"), start=1):
        parts = [p.strip() for p in token.strip().split("-")]
        m = _HEAD.match(parts[0])
        if not m or len(parts) < 2:
            raise ArchError(
                f"malformed DynamicNet block {i} {token!r}: expected conv<width>k<kernel>-<act>[-bn][-maxpool|-avgpool]"
                "[-drop<p>][-skip] or dense<width>-<act>[-bn][-drop<p>][-skip]"
            )
        conv = m.group(1) is not None
        fields = {"kind": "conv" if conv else "dense", "width": int(m.group(1) or m.group(3)),
                  "kernel": int(m.group(2)) if conv else 0, "act": parts[1]}
        for part in parts[2:]:
            if part == "bn" and "norm" not in fields:
                fields["norm"] = True
            elif part in ("maxpool", "avgpool") and "pool" not in fields:
                fields["pool"] = part[:3]
            elif part == "skip" and "skip" not in fields:
                fields["skip"] = True
            elif part.startswith("drop") and "dropout" not in fields:
                try:
                    fields["dropout"] = float(part[4:])
                except ValueError:
                    raise ArchError(f"malformed dropout {part!r} in DynamicNet block {i} {token!r}") from None
            else:
                raise ArchError(f"unknown or repeated token {part!r} in DynamicNet block {i} {token!r}")
        blocks.append(Block(**fields))
    return tuple(blocks)
