"""Updates that could write a raw personal value where anonymous readers see it."""

from __future__ import annotations

import pytest

from kgservice.errors import InputError
from kgservice.sparql.update_reach import unmaskable_write

CITY = "https://w3id.org/sckm/city/"
PERSONAL = frozenset({f"{CITY}citizenId", f"{CITY}personName"})
PUBLIC_GRAPH = "https://w3id.org/sckm/graph/population"
PERSONAL_GRAPH = PUBLIC_GRAPH + "/personal"


@pytest.mark.parametrize(
    "update",
    [
        f'INSERT DATA {{ <urn:p> <{CITY}citizenId> "371302199001011234" }}',
        f'INSERT DATA {{ GRAPH <{PUBLIC_GRAPH}> {{ <urn:p> <{CITY}personName> "张伟" }} }}',
        f'PREFIX city: <{CITY}> INSERT DATA {{ <urn:p> city:personName "张伟" }}',
        f"INSERT {{ GRAPH <{PUBLIC_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}",
        f"DELETE {{ }} INSERT {{ ?s <{CITY}citizenId> ?o }} WHERE {{ ?s <urn:x> ?o }}",
        f"WITH <{PUBLIC_GRAPH}> INSERT {{ ?s <{CITY}citizenId> ?o }} WHERE {{ ?s <urn:x> ?o }}",
        f"ADD <{PERSONAL_GRAPH}> TO <{PUBLIC_GRAPH}>",
        f"COPY <{PERSONAL_GRAPH}> TO DEFAULT",
        f"MOVE <{PERSONAL_GRAPH}> TO <urn:elsewhere>",
        "LOAD <http://example.org/people.ttl>",
        f'CLEAR ALL ; INSERT DATA {{ <urn:p> <{CITY}citizenId> "x" }}',
    ],
)
def test_updates_that_could_expose_a_raw_value_are_named(update: str) -> None:
    assert unmaskable_write(update, PERSONAL)


@pytest.mark.parametrize(
    "update",
    [
        f'INSERT DATA {{ <urn:e> <{CITY}legalName> "临沂某公司" }}',
        f'INSERT DATA {{ GRAPH <{PERSONAL_GRAPH}> {{ <urn:p> <{CITY}citizenId> "x" }} }}',
        f"INSERT {{ GRAPH <{PERSONAL_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}",
        f"DELETE WHERE {{ ?s <{CITY}citizenId> ?o }}",
        f"ADD <{PUBLIC_GRAPH}> TO <urn:copy>",
        f"COPY <{PERSONAL_GRAPH}> TO <https://w3id.org/sckm/graph/other/personal>",
        "CLEAR ALL",
        "DROP SILENT GRAPH <urn:g>",
    ],
)
def test_updates_that_cannot_are_let_through(update: str) -> None:
    assert unmaskable_write(update, PERSONAL) is None


def test_an_update_that_cannot_be_read_is_refused() -> None:
    with pytest.raises(InputError, match="could not be checked"):
        unmaskable_write("INSERT DATA { <urn:a> }", PERSONAL)
