"""Secrets are read from the environment or .env and scrubbed from text and log records."""

from __future__ import annotations

import logging

from pipeline.secrets import RedactingFilter, get_secret, load_dotenv, redact


def test_dotenv_does_not_override_environment(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("PEITU_T_A=from-file\nPEITU_T_B=file-b\n", encoding="utf-8")
    monkeypatch.setenv("PEITU_T_A", "from-env")
    monkeypatch.delenv("PEITU_T_B", raising=False)
    load_dotenv(tmp_path)
    assert get_secret("PEITU_T_A") == "from-env"
    assert get_secret("PEITU_T_B") == "file-b"
    monkeypatch.delenv("PEITU_T_B")


def test_known_secret_values_are_redacted(monkeypatch):
    monkeypatch.setenv("PEITU_T_KEY", "zz-very-secret-value-123")
    get_secret("PEITU_T_KEY")
    assert "zz-very-secret-value-123" not in redact("boom: zz-very-secret-value-123 refused")


def test_access_token_in_wechat_url_is_redacted():
    url = "https://api.weixin.qq.com/cgi-bin/draft/add?access_token=88_AbCdEf123&x=1"
    out = redact(f"POST {url} failed")
    assert "88_AbCdEf123" not in out and "access_token=***" in out and "x=1" in out


def test_headers_and_json_fields_are_redacted():
    text = ('{"Authorization": "Bearer r8_abcdefghijklmnop"} '
            '{"secret": "wx-app-secret"} Authorization: Key fal-123:456')
    out = redact(text)
    for leaked in ("r8_abcdefghijklmnop", "wx-app-secret", "fal-123:456"):
        assert leaked not in out


def test_log_records_are_redacted(caplog):
    logger = logging.getLogger("peitu.test.redact")
    handler = logging.Handler()
    seen: list[str] = []
    handler.emit = lambda record: seen.append(record.getMessage())
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    try:
        logger.warning("GET %s", "https://x/cgi-bin/token?grant_type=client_credential&secret=abc123")
    finally:
        logger.removeHandler(handler)
    assert seen and "abc123" not in seen[0] and "grant_type=client_credential" in seen[0]
