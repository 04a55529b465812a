"""The one place where instance IRIs are minted (docs/data-model.md §2).

Every module that names a resource of the city data (the generator's manifest, the mappings,
validation) calls these functions, so the same record always gets the same IRI.

A person's IRI never contains the citizen ID: its last segment is the first 26 characters of the
lower-case, unpadded base32 of HMAC-SHA256(secret, citizen ID). Addresses (personal data) are
minted the same way from ``<division code>|<address text>``. The secret is
``$KGSERVICE_IRI_SECRET``, by default ``kgservice-demo-secret`` (for demos only).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from urllib.parse import quote

from rdflib import Namespace, URIRef

from kgservice.namespaces import BASE, ID

SECRET_ENV = "KGSERVICE_IRI_SECRET"
DEFAULT_SECRET = "kgservice-demo-secret"
TOKEN_LENGTH = 26
GRAPH = Namespace(BASE + "graph/")

_DIVISION_PADDING = {2: "0000", 4: "00", 6: "", 9: "", 12: ""}


def iri_secret() -> str:
    """Return ``$KGSERVICE_IRI_SECRET`` when set and not empty, else the demo secret."""
    return os.environ.get(SECRET_ENV) or DEFAULT_SECRET


def hmac_token(message: str, secret: str | None = None) -> str:
    """Return the 26-character lower-case base32 token of HMAC-SHA256(secret, message)."""
    key = (secret if secret is not None else iri_secret()).encode("utf-8")
    digest = hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower().rstrip("=")[:TOKEN_LENGTH]


def _segment(text: str) -> str:
    """Percent-encode one path segment (letters, digits and ``-._~`` are kept)."""
    if not text:
        raise ValueError("an IRI path segment cannot be empty")
    return quote(text, safe="")


def person_iri(citizen_id: str, secret: str | None = None) -> URIRef:
    """``id:person/<token>``: the natural person with this citizen ID."""
    return ID[f"person/{hmac_token(citizen_id, secret)}"]


def entity_iri(credit_code: str) -> URIRef:
    """``id:entity/<credit code>``: the legal entity with this unified social credit code."""
    return ID[f"entity/{_segment(credit_code)}"]


def division_code(code: str) -> str:
    """Pad a division code to its level's length: ``37`` -> ``370000``, ``3713`` -> ``371300``."""
    if not code.isascii() or not code.isdigit() or len(code) not in _DIVISION_PADDING:
        raise ValueError(f"a division code has 2, 4, 6, 9 or 12 digits, not {code!r}")
    return code + _DIVISION_PADDING[len(code)]


def division_iri(code: str) -> URIRef:
    """``id:division/<code>`` with the code padded to its level's length."""
    return ID[f"division/{division_code(code)}"]


def facility_iri(source_id: str, code: str) -> URIRef:
    """``id:facility/<source id>/<facility code>`` (source ``facilities`` or ``openflights``)."""
    return ID[f"facility/{_segment(source_id)}/{_segment(code)}"]


def address_iri(division_code: str, text: str, secret: str | None = None) -> URIRef:
    """``id:address/<token>`` with the token of ``<division code>|<address text>``."""
    return ID[f"address/{hmac_token(f'{division_code}|{text}', secret)}"]


def place_iri(source_id: str, key: str) -> URIRef:
    """``id:place/<source id>/<key>``, e.g. ``id:place/geonames/1803318``."""
    return ID[f"place/{_segment(source_id)}/{_segment(key)}"]


def dataset_iri(source_id: str) -> URIRef:
    """``id:dataset/<source id>``: the DCAT dataset of one source."""
    return ID[f"dataset/{_segment(source_id)}"]


def graph_iri(source_id: str) -> URIRef:
    """``graph:<source id>``: the named graph a source is loaded into."""
    return GRAPH[_segment(source_id)]


def source_file_iri(source_id: str, file_name: str) -> URIRef:
    """``id:source/<source id>/<file name>``: one source file."""
    return ID[f"source/{_segment(source_id)}/{_segment(file_name)}"]


def record_iri(source_id: str, file_name: str, line: int) -> URIRef:
    """``<source file>#row=<line>`` (RFC 7111; 1-based line in the file, header = line 1)."""
    if line < 1:
        raise ValueError(f"a line number is 1 or more, not {line}")
    return URIRef(f"{source_file_iri(source_id, file_name)}#row={line}")


def json_record_iri(source_id: str, file_name: str, index: int) -> URIRef:
    """``<source file>#/<index>``: the ``index``-th (0-based) record of a JSON array."""
    if index < 0:
        raise ValueError(f"a JSON index is 0 or more, not {index}")
    return URIRef(f"{source_file_iri(source_id, file_name)}#/{index}")


def department_iri(slug: str) -> URIRef:
    """``id:department/<slug>``, e.g. ``id:department/public-security``."""
    return ID[f"department/{_segment(slug)}"]
