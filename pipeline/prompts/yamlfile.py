"""YAML for the editable files (styles, glossary): the fast C loader, errors with file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import TemplateError

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path, text: str) -> Any:
    try:
        return yaml.load(text, Loader=Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise TemplateError(f"not valid YAML: {getattr(e, 'problem', e)}", where=where) from None
