"""HTTP errors of the SPARQL 1.1 Protocol and of content negotiation.

Each is a :class:`kgservice.errors.KGServiceError`, so the web layer maps it to a response in
the same one place as every other error. Statuses follow RFC 9110 §15.5
(https://www.rfc-editor.org/rfc/rfc9110#section-15.5); the extra attributes carry what the
response headers need (``Allow`` for 405, the available media types for 406 and 415).
"""

from __future__ import annotations

from collections.abc import Iterable

from kgservice.errors import KGServiceError


class MethodNotAllowed(KGServiceError):
    """405: the method cannot be used for this operation. ``allow`` feeds the ``Allow`` header.

    https://www.rfc-editor.org/rfc/rfc9110#section-15.5.6
    """

    http_status = 405

    def __init__(self, message: str, allow: Iterable[str]) -> None:
        super().__init__(message)
        self.allow: tuple[str, ...] = tuple(allow)


class NotAcceptable(KGServiceError):
    """406: none of the media types the client accepts can be produced.

    ``available`` lists the media types that could have been (in the server's order).
    https://www.rfc-editor.org/rfc/rfc9110#section-15.5.7
    """

    http_status = 406

    def __init__(self, message: str, available: Iterable[str]) -> None:
        super().__init__(message)
        self.available: tuple[str, ...] = tuple(available)


class PayloadTooLarge(KGServiceError):
    """413: the request body is larger than the configured limit (``limit`` bytes).

    https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14
    """

    http_status = 413

    def __init__(self, message: str, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class UnsupportedMediaType(KGServiceError):
    """415: the request body's media type (or its charset) is not supported.

    ``supported`` lists the media types that are (e.g. for an ``Accept-Post`` header).
    https://www.rfc-editor.org/rfc/rfc9110#section-15.5.16
    """

    http_status = 415

    def __init__(self, message: str, supported: Iterable[str]) -> None:
        super().__init__(message)
        self.supported: tuple[str, ...] = tuple(supported)
