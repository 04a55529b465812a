"""What validation finds: one :class:`Finding` per SHACL validation result."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from rdflib.namespace import SH


class Severity(Enum):
    """SHACL severities, most severe first; ``rank`` orders them."""

    VIOLATION = str(SH.Violation)
    WARNING = str(SH.Warning)
    INFO = str(SH.Info)

    @property
    def rank(self) -> int:
        return {"VIOLATION": 3, "WARNING": 2, "INFO": 1}[self.name]

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, iri: str) -> Severity:
        for severity in cls:
            if severity.value == iri:
                return severity
        return cls.VIOLATION  # SHACL: an unknown severity IRI is still a severity; treat as worst

    @classmethod
    def from_label(cls, label: str) -> Severity:
        return cls[label.upper()]


@dataclass(frozen=True)
class SourceLocation:
    """Where the focus node came from: a source file and the line of its record."""

    file: str
    line: int | None = None


@dataclass(frozen=True)
class Finding:
    """One validation result. ``messages`` maps a language tag ("zh", "en") to the text."""

    focus: str
    shape: str
    component: str
    severity: Severity
    path: str | None = None
    value: str | None = None
    messages: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    source: SourceLocation | None = field(default=None, compare=False, hash=False)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """The identity used to compare engines and manifests: focus, shape, component, severity."""
        return (self.focus, self.shape, self.component, self.severity.value)

    def message(self, lang: str) -> str:
        return self.messages.get(lang) or next(iter(self.messages.values()), "")
