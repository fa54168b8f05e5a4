"""Build the art set (run by `make art`, never at run time):

    python -m pipeline.providers.local.artbuild NODE_MODULES

reads the two npm packages art/package.json pins — @iconify-json/fluent-emoji-flat (Fluent Emoji
Flat, Microsoft, MIT) and emojibase-data (names and tags in Chinese and English, MIT) — and writes
artdata/index.json and artdata/svg/<name>.svg beside this module. Skin-tone variants, flags, keycaps,
most symbols and a few pictures unfit for an article's cover are left out.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from .artset import HOME

SOURCE = "Fluent Emoji Flat (Microsoft, MIT) via @iconify-json/fluent-emoji-flat; names and tags: emojibase-data (MIT)"

# emojibase groups kept: faces and hearts, people, animals and plants, food, places and transport,
# activities, objects; of the symbols only warnings and currency. Flags, keycaps, zodiac and the
# like are not pictures of a subject.
GROUPS = {0, 1, 3, 4, 5, 6, 7}
SYMBOL_SUBGROUPS = {84, 92}
LEFT_OUT = {"middle-finger", "pile-of-poo", "face-vomiting", "skull", "skull-and-crossbones", "coffin", "headstone",
            "funeral-urn", "bomb", "pistol", "dagger", "kitchen-knife", "crossed-swords", "drop-of-blood",
            "face-with-symbols-on-mouth", "angry-face-with-horns", "smiling-face-with-horns", "ogre", "goblin",
            "person-zombie", "man-zombie", "woman-zombie", "person-vampire", "man-vampire", "woman-vampire",
            "love-hotel", "kiss-mark", "bikini", "briefs", "no-one-under-eighteen"}
_TONE = re.compile(r"-(light|medium-light|medium|medium-dark|dark)$")


def _hex(code: str) -> str:
    """emojibase's hexcode as Iconify's chars.json writes it: lower case, no variation selector."""
    return "-".join(p for p in code.lower().split("-") if p != "fe0f")


def _words(items: Iterable[str | None]) -> list[str]:
    out: list[str] = []
    for item in items:
        word = " ".join(str(item or "").lower().replace("_", " ").split())
        if word and word not in out:
            out.append(word)
    return out


def _read(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


def build(node_modules: Path, out: Path = HOME) -> int:
    """Write out/index.json and out/svg/*.svg from the two npm packages; returns how many pictures."""
    icons = _read(node_modules / "@iconify-json/fluent-emoji-flat/icons.json")
    chars = _read(node_modules / "@iconify-json/fluent-emoji-flat/chars.json")
    zh = {_hex(e["hexcode"]): e for e in _read(node_modules / "emojibase-data/zh/data.json")}   # type: ignore[attr-defined]
    en = {_hex(e["hexcode"]): e for e in _read(node_modules / "emojibase-data/en/data.json")}   # type: ignore[attr-defined]
    assert isinstance(icons, dict) and isinstance(chars, dict)
    size = (icons.get("width", 16), icons.get("height", 16))
    (out / "svg").mkdir(parents=True, exist_ok=True)
    pieces = []
    for code, name in sorted(chars.items(), key=lambda kv: en.get(kv[0], {}).get("order", 1 << 20)):
        e_zh, e_en = zh.get(code), en.get(code)
        if _TONE.search(name) or name in LEFT_OUT or not e_zh or not e_en or name not in icons["icons"]:
            continue
        group, subgroup = e_en.get("group"), e_en.get("subgroup")
        if group not in GROUPS and subgroup not in SYMBOL_SUBGROUPS:
            continue
        icon = icons["icons"][name]
        w, h = icon.get("width", size[0]), icon.get("height", size[1])
        svg = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}">{icon["body"]}</svg>'
        (out / "svg" / f"{name}.svg").write_text(svg, encoding="utf-8")
        zh_words = _words([e_zh["label"].split(":")[0], *(e_zh.get("tags") or [])])
        en_words = _words([e_en["label"], *(e_en.get("tags") or []), name.replace("-", " ")])
        pieces.append([name, group, subgroup, zh_words, en_words])
    index = {"source": SOURCE, "pieces": pieces}
    (out / "index.json").write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return len(pieces)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m pipeline.providers.local.artbuild NODE_MODULES", file=sys.stderr)
        return 2
    count = build(Path(argv[0]))
    print(f"art set: {count} pictures indexed into {HOME}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
