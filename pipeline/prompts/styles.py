"""Style presets (templates/styles/*.yaml): HOW an image looks, independent of the article type."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import TemplateError
from ..yamlsafe import load_yaml

HEX = r"^#[0-9A-Fa-f]{6}$"
Color = Annotated[str, Field(pattern=HEX)]


class Palette(BaseModel):
    """Colours the local renderer draws with: background first, then main and accent colours."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    colors: list[Color] = Field(min_length=2)
    text: Color = "#1F1F1F"                        # ink for titles set on the image


class Style(BaseModel):
    """One style preset file. `id` is the file name without .yaml."""

    model_config = ConfigDict(extra="forbid")
    id: str = ""
    label: str = Field(min_length=1)               # Chinese name shown to editors
    medium: str = Field(min_length=1)              # noun phrase: "flat vector illustration"
    positive: str = Field(min_length=1)            # comma-separated style words
    negative: str = ""                             # what this style must avoid
    palette: Palette
    title_overlay: bool = True                     # hosted covers: peitu sets the title on the picture
    description: str = ""

    def context(self) -> dict:
        """The `style` variable templates see."""
        return {"id": self.id, "name": self.id, "label": self.label, "medium": self.medium,
                "positive": self.positive, "negative": self.negative,
                "palette": {"name": self.palette.name, "colors": list(self.palette.colors),
                            "text": self.palette.text}}


def parse_style(path: Path, text: str) -> Style:
    """Validate a style file's text; errors name the file (and line for YAML errors)."""
    data = load_yaml(text, str(path), error=TemplateError)
    if not isinstance(data, dict):
        raise TemplateError("a style file is a mapping (label, medium, positive, negative, palette)",
                            where=str(path))
    try:
        return Style(**{**data, "id": path.stem})
    except ValidationError as e:
        msg = "; ".join(f"{'.'.join(map(str, x['loc'])) or 'style'}: {x['msg'].removeprefix('Value error, ')}"
                        for x in e.errors())
        raise TemplateError(msg, where=str(path)) from None
