"""The declared settings: defaults, validation naming the key, and the README in step."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kgservice.settings import (
    DEFAULT_MEMORY_SHARE,
    SETTINGS,
    SettingsError,
    load_settings,
    memory_available,
    worker_memory_limit,
)

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_are_valid() -> None:
    settings = load_settings({})
    assert settings.query_timeout == 30.0
    assert settings.max_rows == 10_000
    assert settings.allowed_remote == ()
    assert settings.write_token == ""
    assert settings.union_default_graph is True
    assert settings.reasoning == "materialize"


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("KGSERVICE_QUERY_TIMEOUT", "0", "greater than 0"),
        ("KGSERVICE_QUERY_TIMEOUT", "soon", "could not convert"),
        ("KGSERVICE_PORT", "70000", "TCP port"),
        ("KGSERVICE_STORE_URL", "ftp://x", "http:// or https://"),
        ("KGSERVICE_CORS_ORIGINS", "https://a.example/path", "not an origin"),
        ("KGSERVICE_UNION_DEFAULT_GRAPH", "maybe", "true or false"),
        ("KGSERVICE_MAX_ROWS", "-1", "at least 0"),
        ("KGSERVICE_REASONING", "sometimes", "materialize or off"),
    ],
)
def test_a_bad_value_names_its_key(key: str, value: str, words: str) -> None:
    with pytest.raises(SettingsError, match=rf"^{key}='{re.escape(value)}': .*{words}"):
        load_settings({key: value})


def test_secrets_are_not_echoed() -> None:
    settings = load_settings({"KGSERVICE_WRITE_TOKEN": "hunter2"})
    assert settings.public()["KGSERVICE_WRITE_TOKEN"] == "(set)"


def test_an_unknown_key_is_an_error() -> None:
    with pytest.raises(SettingsError, match="unknown setting KGSERVICE_QUERY_TIMEOUTS"):
        load_settings({"KGSERVICE_QUERY_TIMEOUTS": "5"})


def test_every_key_used_in_the_code_is_declared() -> None:
    declared = {setting.key for setting in SETTINGS}
    used: set[str] = set()
    for folder in ("kgservice", "scripts", "tests"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in ("", ".py", ".sh"):
                used |= set(
                    re.findall(r"KGSERVICE_[A-Z0-9_]+[A-Z0-9]", path.read_text(errors="ignore"))
                )
    used -= {"KGSERVICE_QUERY_TIMEOUTS"}  # the unknown key of the test above
    assert used <= declared, sorted(used - declared)


def test_the_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [setting.key for setting in SETTINGS if f"`{setting.key}`" not in readme]
    assert not missing, f"README.md does not document {missing}"


def test_a_worker_memory_limit_is_read_in_mb_and_0_turns_it_off() -> None:
    assert worker_memory_limit(load_settings({"KGSERVICE_WORKER_MEMORY_MB": "2048"})) == 2 << 30
    assert worker_memory_limit(load_settings({"KGSERVICE_WORKER_MEMORY_MB": "0"})) is None
    with pytest.raises(SettingsError, match="KGSERVICE_WORKER_MEMORY_MB='-1'"):
        load_settings({"KGSERVICE_WORKER_MEMORY_MB": "-1"})


def test_by_default_the_workers_share_most_of_the_memory() -> None:
    total = memory_available()
    assert total is not None and total > 0
    one = worker_memory_limit(load_settings({}))
    two = worker_memory_limit(
        load_settings({"KGSERVICE_READ_ONLY": "true", "KGSERVICE_WORKERS": "2"})
    )
    assert one == int(total * DEFAULT_MEMORY_SHARE)
    assert two == int(total * DEFAULT_MEMORY_SHARE / 2)


def test_settings_survive_pickling_for_a_process_of_their_own() -> None:
    import pickle

    settings = load_settings({"KGSERVICE_PORT": "9001", "KGSERVICE_READ_ONLY": "true"})
    copy = pickle.loads(pickle.dumps(settings))
    assert copy.public() == settings.public()
    assert (copy.port, copy.read_only) == (9001, True)
    with pytest.raises(AttributeError):
        copy.no_such_setting  # noqa: B018
