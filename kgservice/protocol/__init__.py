"""The SPARQL 1.1 Protocol as pure functions ("sans-IO"): no Flask, no store.

* :mod:`~kgservice.protocol.params` parses a query or update request
  (https://www.w3.org/TR/sparql11-protocol/#query-operation, #update-operation);
* :mod:`~kgservice.protocol.negotiation` picks the response format from ``format`` or ``Accept``
  (RFC 9110 §12.5.1, https://www.rfc-editor.org/rfc/rfc9110#section-12.5.1);
* :mod:`~kgservice.protocol.formats` declares the formats and request body media types;
* :mod:`~kgservice.protocol.errors` holds the HTTP errors (405, 406, 413, 415).

The web layer reads the HTTP request, calls these, runs the operation on a store and writes the
response.
"""

from kgservice.protocol.errors import (
    MethodNotAllowed,
    NotAcceptable,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from kgservice.protocol.formats import (
    FORM_URLENCODED,
    GRAPH_FORMATS,
    RDF_UPLOAD_TYPES,
    RESULT_FORMATS,
    SPARQL_QUERY,
    SPARQL_UPDATE,
    Format,
    Kind,
    default_format,
    upload_format,
)
from kgservice.protocol.negotiation import negotiate
from kgservice.protocol.params import (
    QueryRequest,
    UpdateRequest,
    check_body_size,
    parse_request,
    parse_urlencoded,
)

__all__ = [
    "FORM_URLENCODED",
    "GRAPH_FORMATS",
    "RDF_UPLOAD_TYPES",
    "RESULT_FORMATS",
    "SPARQL_QUERY",
    "SPARQL_UPDATE",
    "Format",
    "Kind",
    "MethodNotAllowed",
    "NotAcceptable",
    "PayloadTooLarge",
    "QueryRequest",
    "UnsupportedMediaType",
    "UpdateRequest",
    "check_body_size",
    "default_format",
    "negotiate",
    "parse_request",
    "parse_urlencoded",
    "upload_format",
]
