"""Settings: one TOML file, RACCOON_* environment variables over it, strict checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from raccoon.service import Settings

SECRET = "k" * 40


def test_defaults_and_derived_values() -> None:
    s = Settings()
    assert s.port == 8080 and s.origin == "http://127.0.0.1:8080"
    assert s.websocket_url == "ws://127.0.0.1:8080/ws"
    assert s.origins == ("http://127.0.0.1:8080",)
    assert not s.secure_cookie
    https = Settings(public_url="https://app.example.com")
    assert https.websocket_url == "wss://app.example.com/ws" and https.secure_cookie
    assert SECRET not in repr(Settings(secret=SECRET))  # secrets stay out of logs


def test_file_then_environment_then_code(tmp_path: Path) -> None:
    path = tmp_path / "raccoon.toml"
    path.write_text(
        'realm = "app"\nport = 9000\ngrace_period = 5\n'
        'public_procedures = ["raccoon.public.", "app.ping"]\nmetrics_public = true\n'
    )
    env = {
        "RACCOON_PORT": "9100",
        "RACCOON_SECRET": SECRET,
        "RACCOON_ALLOWED_ORIGINS": "http://a.example:1, http://b.example",
        "RACCOON_COOKIE_SECURE": "yes",
        "RACCOON_TEST_DSN": "ignored: not a setting",
    }
    s = Settings.load(path, env=env, grace_period=7.5)
    assert s.realm == "app" and s.port == 9100 and s.grace_period == 7.5
    assert s.public_procedures == ("raccoon.public.", "app.ping")
    assert s.allowed_origins == ("http://a.example:1", "http://b.example")
    assert s.metrics_public is True and s.cookie_secure is True and s.secret == SECRET


def test_a_raccoon_table_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "app.toml"
    path.write_text('[raccoon]\nrealm = "x"\n')
    assert Settings.load(path, env={}).realm == "x"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("prot = 1\n", "unknown settings \\['prot'\\]"),
        ('port = "80"\n', "'port' must be int"),
        ("port = 70000\n", "not a TCP port"),
        ("grace_period = -1\n", "grace_period"),
        ('secret = "short"\n', "at least 32"),
        ('session_root = "wamp.x"\n', "wamp"),
        ('public_procedures = ["raccoon.session."]\n', "overlaps the session root"),
        ('public_procedures = ["wamp."]\n', "meta API"),
        ('allowed_origins = ["http://x/path"]\n', "no path"),
        ("port = \n", "cannot read"),
    ],
)
def test_bad_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        Settings.load(path, env={})


def test_bad_environment_values_name_the_variable() -> None:
    with pytest.raises(ValueError, match="RACCOON_PORT must be a number"):
        Settings.load(env={"RACCOON_PORT": "eighty"})
    with pytest.raises(ValueError, match="RACCOON_MIGRATE must be true or false"):
        Settings.load(env={"RACCOON_MIGRATE": "maybe"})


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        Settings.load(tmp_path / "nope.toml", env={})
