"""The example queries of the query page: ``kgservice/web/examples/*.rq``.

Each file starts with comment lines that name it, then the query::

    # title-zh: 各县区法人和其他组织数量
    # title-en: Legal entities per county
    # description-zh: ...            (optional)
    # description-en: ...            (optional)
    PREFIX city: <https://w3id.org/sckm/city/>
    SELECT ...

The page opens one tab per file, in file-name order, named "中文标题 / English title".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

_FIELD = re.compile(r"^#\s*(title|description)-(zh|en)\s*:\s*(.*?)\s*$")


@dataclass(frozen=True)
class Example:
    """One example query: its id (the file stem), titles, descriptions and text."""

    id: str
    title_zh: str
    title_en: str
    query: str
    description_zh: str = ""
    description_en: str = ""

    @property
    def tab_name(self) -> str:
        """The name of the example's tab on the query page."""
        return f"{self.title_zh} / {self.title_en}"


def examples_folder() -> Traversable:
    """The folder the examples are read from (inside the installed package)."""
    return files("kgservice.web") / "examples"


def load_examples(folder: Traversable | None = None) -> list[Example]:
    """Every ``*.rq`` file of ``folder`` (default: the package's), sorted by file name."""
    folder = folder or examples_folder()
    paths = sorted((p for p in folder.iterdir() if p.name.endswith(".rq")), key=lambda p: p.name)
    return [parse_example(p.name.removesuffix(".rq"), p.read_text(encoding="utf-8")) for p in paths]


def parse_example(example_id: str, text: str) -> Example:
    """An example from its file text; ``ValueError`` when a title is missing.

    The ``# title-…`` lines are dropped from the query; the descriptions stay as plain comments,
    so the editor shows what the query is about.
    """
    fields: dict[str, str] = {}
    kept: list[str] = []
    for line in text.splitlines():
        match = _FIELD.match(line)
        if not match:
            kept.append(line)
            continue
        kind, lang, value = match.groups()
        fields[f"{kind}_{lang}"] = value
        if kind == "description":
            kept.append(f"# {value}")
    missing = [name for name in ("title_zh", "title_en") if not fields.get(name)]
    if missing:
        raise ValueError(f"example {example_id}: no {', '.join(missing)} comment line")
    return Example(id=example_id, query="\n".join(kept).strip() + "\n", **fields)
