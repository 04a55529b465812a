"""Typed errors. Each carries the CLI exit code and HTTP status it maps to.

The CLI (``kgservice.cli``) and the web layer each translate these in one place.
"""

from __future__ import annotations


class KGServiceError(Exception):
    """Base class of every error the project raises on purpose."""

    exit_code: int = 2
    http_status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(KGServiceError):
    """Bad input: a file, an argument or a request body that cannot be used."""

    exit_code = 2
    http_status = 400


class ToolMissingError(KGServiceError):
    """An external tool (Java, the OWL API, a reasoner) is not installed or not runnable."""

    exit_code = 2
    http_status = 503


class CheckFailed(KGServiceError):
    """A check ran and found problems (ontology QC, validation)."""

    exit_code = 1
    http_status = 422


class WriteConflict(KGServiceError):
    """A write the service will not apply as asked (409), e.g. one that changes a graph the
    service derives itself, or puts a personal property where it cannot be masked."""

    exit_code = 2
    http_status = 409


class NonConformingWrite(KGServiceError):
    """A write would add validation findings (422); the store is unchanged.

    ``representations`` maps a media type to the SHACL report of the new findings in it; the
    web layer sends the one the client's ``Accept`` prefers (the first if none matches).
    """

    exit_code = 1
    http_status = 422

    def __init__(self, message: str, representations: dict[str, str], findings: int) -> None:
        super().__init__(message)
        self.representations = representations
        self.findings = findings
