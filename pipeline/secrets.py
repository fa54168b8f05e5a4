"""Secrets come only from the environment or .env, and are scrubbed from every log and message."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from dotenv import dotenv_values

_loaded_from: set[Path] = set()
_known: set[str] = set()

# access_token in WeChat URLs, bearer/key headers, and JSON/form fields that hold secrets
_PATTERNS = [
    re.compile(r"(?i)((?:access_token|secret|appsecret|api_key|apikey|key|token|sig|signature)=)[^&\s\"']+"),
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:bearer|key|token)?\s*)[^\s\"',}]+"),
    re.compile(r"(?i)([\"'](?:access_token|secret|api_key|token|key|password)[\"']\s*:\s*[\"'])[^\"']+"),
    re.compile(r"(?i)(x-api-key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"),
]


def load_dotenv(folder: Path | None = None) -> None:
    """Read `.env` from `folder` (default: cwd) into os.environ without overriding what is set."""
    env_file = (folder or Path.cwd()) / ".env"
    if env_file in _loaded_from or not env_file.is_file():
        return
    _loaded_from.add(env_file)
    for name, value in dotenv_values(env_file).items():
        if value is not None:
            os.environ.setdefault(name, value)


def get_secret(name: str | None) -> str | None:
    """The value of an environment variable that holds a secret; remembered for redaction. A key in
    two parts names two variables, `ID_VAR+SECRET_VAR` (Tencent's SecretId and SecretKey, Kling's
    AccessKey and SecretKey): the value is `id:secret`, or None unless both are set."""
    if not name:
        return None
    if "+" in name:
        parts = [get_secret(part.strip()) for part in name.split("+")]
        return ":".join(p for p in parts if p) if all(parts) else None
    value = os.environ.get(name) or None
    if value:
        _known.add(value)
    return value


def redact(text: str) -> str:
    """Replace every known secret value and every secret-looking field in `text`."""
    for value in sorted(_known, key=len, reverse=True):
        if len(value) >= 4:
            text = text.replace(value, "***")
    for pattern in _PATTERNS:
        text = pattern.sub(r"\1***", text)
    return text


class RedactingFilter(logging.Filter):
    """Logging filter that redacts the formatted message of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
