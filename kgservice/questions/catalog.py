"""The catalogue of named questions: one ``.rq`` file each, SPARQL with a metadata header.

The header is YAML in ``#+`` comment lines at the top of the file, the convention of grlc
(https://github.com/CLARIAH/grlc), so the file stays a plain SPARQL query any editor or endpoint
can run::

    #+ id: representatives-of-many
    #+ title: {zh: 担任多家法人法定代表人的人员, en: People who represent several legal entities}
    #+ description: {zh: …, en: …}
    #+ domains: [person, legal-entity, place]
    #+ parameters:
    #+   minimum:
    #+     type: integer
    #+     default: 2
    #+     min: 1
    #+     label: {zh: 最少法人数, en: Minimum number of entities}
    PREFIX city: <https://w3id.org/sckm/city/>
    SELECT ?person (COUNT(?entity) AS ?entities) WHERE {
      ?entity city:legalRepresentative ?person .
    } GROUP BY ?person HAVING (COUNT(?entity) >= ?minimum)

A parameter is a variable of the query of the same name, bound by a ``VALUES`` block placed at
the start of the top-level WHERE group (:mod:`kgservice.questions.binding`); the query must use it
there, not only inside a subquery. Parameter types are those of
:data:`kgservice.questions.binding.PARAMETER_TYPES`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from kgservice.errors import InputError
from kgservice.sparql.lexer import tokens

QUESTIONS_DIR = Path(__file__).parent / "files"
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DOMAINS = frozenset({"person", "legal-entity", "place", "infrastructure", "provenance", "quality"})
_LANGUAGES = ("zh", "en")


class CatalogError(InputError):
    """A question file is malformed (the message names the file and the field)."""


@dataclass(frozen=True)
class Parameter:
    """A typed input of a question: the query variable ``?<name>``."""

    name: str
    type: str
    label: dict[str, str]
    description: dict[str, str] = field(default_factory=dict)
    default: object = None  # a raw value, as a caller would send it; None: no default
    required: bool = False  # True: no default, and the question cannot run without it
    multiple: bool = False  # a comma-separated list of values
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    scheme: str | None = None  # for type ``code``: the code list (e.g. ``entity-status``)

    def as_json(self) -> dict:
        described = {
            "name": self.name,
            "type": self.type,
            "label": self.label,
            "description": self.description,
            "required": self.required,
            "multiple": self.multiple,
        }
        if self.default is not None:
            described["default"] = self.default
        if self.choices:
            described["choices"] = list(self.choices)
        if self.minimum is not None:
            described["min"] = self.minimum
        if self.maximum is not None:
            described["max"] = self.maximum
        if self.scheme:
            described["scheme"] = self.scheme
        return described


@dataclass(frozen=True)
class Question:
    """A named cross-domain question."""

    id: str
    title: dict[str, str]
    description: dict[str, str]
    domains: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    sparql: str  # the query without its header
    path: Path

    @property
    def form(self) -> str:
        for token in tokens(self.sparql):
            if token.is_keyword("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
                return token.text.upper()
        raise CatalogError(f"{self.path}: the query has no SELECT, ASK, CONSTRUCT or DESCRIBE")

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


def load_catalog(directory: Path | None = None) -> dict[str, Question]:
    """Every question of ``directory`` (the package's by default), by id, in file-name order."""
    if directory is None:
        return _package_catalog()
    return _read_directory(directory)


@lru_cache(maxsize=1)
def _package_catalog() -> dict[str, Question]:
    return _read_directory(QUESTIONS_DIR)


def _read_directory(directory: Path) -> dict[str, Question]:
    questions: dict[str, Question] = {}
    for path in sorted(directory.glob("*.rq")):
        question = read_question(path)
        if question.id in questions:
            other = questions[question.id].path.name
            raise CatalogError(f"{path}: id {question.id!r} is also the id of {other}")
        questions[question.id] = question
    return questions


def read_question(path: Path) -> Question:
    """Parse one question file (header and query); a malformed one is a :class:`CatalogError`
    naming the file, line and field."""
    text = path.read_text(encoding="utf-8")
    header_lines, sparql = _split_header(text)
    try:
        header = YAML(typ="safe").load("\n".join(header_lines)) or {}
    except YAMLError as error:
        raise CatalogError(f"{path}: the #+ header is not YAML: {error}") from None
    if not isinstance(header, dict):
        raise CatalogError(f"{path}:1: the #+ header must be a mapping of fields")
    return _question(path, header, sparql)


def _split_header(text: str) -> tuple[list[str], str]:
    lines = text.splitlines()
    header: list[str] = []
    for index, line in enumerate(lines):
        if line.startswith("#+"):
            header.append(line[3:] if line.startswith("#+ ") else line[2:])
            continue
        return header, "\n".join(lines[index:]).strip() + "\n"
    return header, ""


def _question(path: Path, header: dict, sparql: str) -> Question:
    known = {"id", "title", "description", "domains", "parameters"}
    if unknown := sorted(set(header) - known):
        raise CatalogError(f"{path}: unknown header field(s) {', '.join(unknown)}")
    question_id = header.get("id")
    if not isinstance(question_id, str) or not _ID.match(question_id):
        raise CatalogError(f"{path}: field id must be lower-case words joined by '-'")
    if path.stem.split("-", 1)[-1] != question_id:
        raise CatalogError(f"{path}: the file name must be <number>-{question_id}.rq")
    domains = header.get("domains") or []
    if not isinstance(domains, list) or not set(domains) <= _DOMAINS or len(domains) < 2:
        raise CatalogError(
            f"{path}: field domains must list two or more of {', '.join(sorted(_DOMAINS))}"
        )
    if not sparql.strip():
        raise CatalogError(f"{path}: no query after the #+ header")
    parameters = tuple(
        _parameter(path, name, spec) for name, spec in (header.get("parameters") or {}).items()
    )
    question = Question(
        id=question_id,
        title=_bilingual(path, "title", header.get("title")),
        description=_bilingual(path, "description", header.get("description")),
        domains=tuple(domains),
        parameters=parameters,
        sparql=sparql,
        path=path,
    )
    question.form  # noqa: B018 - raises CatalogError for a file that holds no query
    return question


def _bilingual(path: Path, field_name: str, value: object) -> dict[str, str]:
    if not isinstance(value, dict) or any(
        not isinstance(value.get(lang), str) or not value[lang].strip() for lang in _LANGUAGES
    ):
        raise CatalogError(f"{path}: field {field_name} needs zh and en text")
    return {lang: value[lang].strip() for lang in _LANGUAGES}


def _parameter(path: Path, name: object, spec: object) -> Parameter:
    from kgservice.questions.binding import PARAMETER_TYPES

    where = f"{path}: parameter {name}"
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise CatalogError(f"{where}: a parameter name must be a SPARQL variable name")
    if not isinstance(spec, dict):
        raise CatalogError(f"{where}: expected a mapping (type, label, default…)")
    known = {
        "type", "label", "description", "default", "required", "multiple", "choices", "min",
        "max", "scheme",
    }  # fmt: skip
    if unknown := sorted(set(spec) - known):
        raise CatalogError(f"{where}: unknown field(s) {', '.join(unknown)}")
    kind = spec.get("type")
    if kind not in PARAMETER_TYPES:
        raise CatalogError(f"{where}: type must be one of {', '.join(PARAMETER_TYPES)}")
    if kind == "code" and not spec.get("scheme"):
        raise CatalogError(f"{where}: a code parameter names its scheme (e.g. entity-status)")
    if kind in ("point", "polygon") and spec.get("multiple"):
        raise CatalogError(f"{where}: a {kind} parameter takes one value (its text has commas)")
    default = spec.get("default")
    required = bool(spec.get("required", False))
    if required and default is not None:
        raise CatalogError(f"{where}: a required parameter has no default")
    return Parameter(
        name=name,
        type=kind,
        label=_bilingual(path, f"{name}.label", spec.get("label")),
        description=(
            _bilingual(path, f"{name}.description", spec["description"])
            if "description" in spec
            else {}
        ),
        default=None if default is None else _raw(default),
        required=required,
        multiple=bool(spec.get("multiple", False)),
        choices=tuple(str(choice) for choice in spec.get("choices") or ()),
        minimum=spec.get("min"),
        maximum=spec.get("max"),
        scheme=spec.get("scheme"),
    )


def _raw(value: object) -> str:
    """A default as the text a caller would send (lists joined by commas)."""
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
