"""Traditional → simplified Chinese (OpenCC t2s), converting only lines that need it.

    to_simplified(text) -> str
"""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def _traditional() -> tuple[frozenset[str], object]:
    """Characters that differ in simplified Chinese, and an OpenCC t2s converter."""
    import opencc

    table = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    chars = set()
    for line in table.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        if source and targets.split(" ")[0] != source:
            chars.add(source)
    return frozenset(chars), opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified (OpenCC t2s), line by line, only where a line has traditional characters."""
    chars, converter = _traditional()
    if chars.isdisjoint(text):
        return text
    return "\n".join(line if chars.isdisjoint(line) else converter.convert(line)  # type: ignore[attr-defined]
                     for line in text.split("\n"))
