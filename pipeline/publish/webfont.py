"""The font the preview and index pages carry: a subset of the installed Noto Sans CJK SC with only the
characters a page uses, inlined as a data: URL @font-face, so the pages read on a machine that has no
CJK font (where they showed empty boxes).

HarfBuzz (uharfbuzz) cuts the subset straight from the 32 MB collection in about 10 ms; fontTools'
subsetter needs ~0.6 s for the same page, as it parses tables of all 65,535 glyphs each time. fontTools
packs it as WOFF (zlib) in ~7 ms. WOFF2 would be 11 % smaller for this CFF font but its brotli at
quality 11 takes ~0.3 s a page (45 times as long), which doubled the CPU time of illustrating the
examples. The subset is the Regular instance of the variable font (the browser synthesises bold): half
the bytes of keeping every weight. The same characters give the same font from a small cache."""

from __future__ import annotations

import base64
import io
from functools import lru_cache

import uharfbuzz as hb
from fontTools.ttLib import TTFont

from ..errors import ConfigError
from ..fonts import find_font

FAMILY = "Noto Sans CJK SC"           # the CJK font of Android phones, which pages and themes name
WEIGHT = 400                          # the variable font's wght the subset is pinned to
DROPPED = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "VORG", "vhea", "vmtx", "VVAR", "STAT", "DSIG")


def _tag(name: str) -> int:
    return int.from_bytes(name.encode("ascii"), "big")


@lru_cache(maxsize=1)
def _face() -> hb.Face | None:
    """The packaged Noto Sans CJK SC as a HarfBuzz face (the file is mapped, not read); None without one."""
    try:
        path, index = find_font()
    except ConfigError:
        return None
    return hb.Face(hb.Blob.from_file_path(path), index)


@lru_cache(maxsize=32)
def woff_subset(chars: frozenset[str]) -> bytes | None:
    """WOFF bytes of the font cut down to `chars` (those it has), horizontal text only, no hinting;
    None when no CJK font is installed."""
    face = _face()
    if face is None:
        return None
    wanted = hb.SubsetInput()
    wanted.sets(hb.SubsetInputSets.UNICODE).update(ord(c) for c in chars)
    wanted.sets(hb.SubsetInputSets.DROP_TABLE_TAG).update(_tag(t) for t in DROPPED)
    wanted.flags = hb.SubsetFlags.NO_HINTING | hb.SubsetFlags.DOWNGRADE_CFF2
    wanted.pin_axis_location(face, "wght", WEIGHT)
    sfnt = hb.subset(face, wanted).blob.data
    font = TTFont(io.BytesIO(sfnt), lazy=True, recalcBBoxes=False, recalcTimestamp=False)
    font.flavor = "woff"
    out = io.BytesIO()
    font.save(out, reorderTables=False)          # HarfBuzz wrote the tables in order already
    return out.getvalue()


def font_face(text: str) -> str:
    """A CSS @font-face rule for FAMILY that embeds the subset for the characters of `text` (a page's
    HTML: every character it can show is in it), or "" when no CJK font is installed. The machine's own
    Noto Sans CJK SC comes first when it has one; the name is the one pages and article themes already
    list (code blocks: Menlo, …, "Noto Sans CJK SC"), so an inline font stack finds it too."""
    data = woff_subset(frozenset(c for c in text if not c.isspace()))
    if data is None:
        return ""
    url = "data:font/woff;base64," + base64.b64encode(data).decode("ascii")
    return (f'@font-face{{font-family:"{FAMILY}";src:local("{FAMILY}"),url({url}) format("woff");'
            f'font-display:block}}')
