"""`peitu doctor` against the fake WeChat: what it finds and what it tells the user to fix."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import yaml

from pipeline.doctor import run_checks

from .conftest import wechat_config


def by_area(checks):
    return {c.area: c for c in checks}


def test_a_ready_setup_passes(tmp_path, fake):
    checks = by_area(run_checks(wechat_config(tmp_path, fake)))
    assert all(c.status == "ok" for c in checks.values()), checks
    assert "whitelisted" in checks["wechat default"].found and "0 drafts" in checks["wechat default"].found
    assert set(checks) >= {"config", "state", "font", "templates", "provider local", "wechat default",
                           "schedule default"}


def test_ip_not_whitelisted_names_the_ip_and_where_to_add_it(tmp_path, fake):
    fake.whitelist, fake.caller_ip = {"203.0.113.7"}, "198.51.100.23"
    check = by_area(run_checks(wechat_config(tmp_path, fake)))["wechat default"]
    assert check.status == "fail"
    assert "198.51.100.23" in check.found and "IP白名单" in check.fix


def test_missing_credentials_are_a_warning_not_a_failure(tmp_path, fake, monkeypatch):
    monkeypatch.delenv("WECHAT_SECRET")
    check = by_area(run_checks(wechat_config(tmp_path, fake)))["wechat default"]
    assert check.status == "warn" and "WECHAT_SECRET" in check.found and ".env" in check.fix
    assert fake.calls["stable_token"] == 0


def test_offline_contacts_nothing(tmp_path, fake):
    checks = by_area(run_checks(wechat_config(tmp_path, fake), offline=True))
    assert checks["wechat default"].status == "ok" and "not contacted" in checks["wechat default"].found
    assert sum(fake.calls.values()) == 0


def test_a_provider_without_its_key_is_a_warning(tmp_path, fake, monkeypatch):
    monkeypatch.delenv("SILICONFLOW_API_KEY", raising=False)
    config = wechat_config(tmp_path, fake, providers={"order": ["siliconflow", "local"]})
    check = by_area(run_checks(config))["provider siliconflow"]
    assert check.status == "warn" and "SILICONFLOW_API_KEY" in check.found


def test_state_file_is_opened_and_its_schema_and_privacy_reported(tmp_path, fake, monkeypatch):
    check = by_area(run_checks(wechat_config(tmp_path, fake)))["state"]
    assert check.status == "ok" and "schema 2 of 2" in check.found and "private" in check.found
    home = tmp_path / "home"                            # a state file right in the home folder: left as it is
    home.mkdir()
    os.chmod(home, 0o755)
    monkeypatch.setenv("HOME", str(home))
    config = wechat_config(tmp_path, fake)
    config.write_text(config.read_text(encoding="utf-8").replace(str(tmp_path / "state.db"), str(home / "state.db")))
    check = by_area(run_checks(config))["state"]
    assert check.status == "warn" and "755" in check.found and "chmod 700" in check.fix
    assert stat.S_IMODE(home.stat().st_mode) == 0o755 and stat.S_IMODE((home / "state.db").stat().st_mode) == 0o600


def test_an_unusable_state_path_fails_with_what_to_do(tmp_path, fake):
    (tmp_path / "blocker").write_text("a file where the state folder should be")
    config = wechat_config(tmp_path, fake)
    config.write_text(config.read_text(encoding="utf-8").replace(str(tmp_path / "state.db"),
                                                                 str(tmp_path / "blocker" / "state.db")))
    (check,) = run_checks(config)          # refused when the config loads, naming the key
    assert check.area == "config" and check.status == "fail" and "paths.state" in check.found


def test_broken_config_is_reported_first_and_alone(tmp_path):
    bad = tmp_path / "config.yaml"
    bad.write_text("schedule:\n  time: '25:00'\n", encoding="utf-8")
    (check,) = run_checks(bad)
    assert check.area == "config" and check.status == "fail" and "25:00" in check.found


def test_bad_timezone_is_a_failure(tmp_path, fake):
    config = wechat_config(tmp_path, fake, schedule={"time": "02:00", "timezone": "Asia/Beijing"})
    (check,) = run_checks(config)          # refused when the config loads, naming the key
    assert check.area == "config" and check.status == "fail"
    assert "schedule.timezone" in check.found and "Asia/Beijing" in check.found and "Asia/Shanghai" in check.found


def test_cli_exit_code_and_no_secret_in_output(tmp_path, fake):
    fake.whitelist = {"203.0.113.7"}
    config = wechat_config(tmp_path, fake)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["wechat"]["accounts"]["default"]["token_api"] = "token"   # the secret goes in the query here
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "pipeline", "--debug", "--config", str(config), "doctor"],
                         env={**os.environ, "COLUMNS": "200"}, capture_output=True, text=True, timeout=120)
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "127.0.0.1" in out and "IP白名单" in out and "1 to fix" in out
    assert fake.secret not in out
