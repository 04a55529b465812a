"""Instance IRIs (docs/data-model.md §2): one minting function per kind of resource."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from rdflib import URIRef

from kgservice.iri import (
    DEFAULT_SECRET,
    SECRET_ENV,
    address_iri,
    dataset_iri,
    department_iri,
    division_iri,
    entity_iri,
    facility_iri,
    graph_iri,
    hmac_token,
    json_record_iri,
    person_iri,
    place_iri,
    record_iri,
    source_file_iri,
)

ID = "https://w3id.org/sckm/id/"


def expected_token(message: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:26]


def test_person_iri_is_the_hmac_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    iri = person_iri("11010519491231002X")
    assert isinstance(iri, URIRef)
    assert iri == URIRef(ID + "person/" + expected_token("11010519491231002X", DEFAULT_SECRET))
    assert "11010519491231002X" not in iri
    token = iri.rsplit("/", 1)[1]
    assert len(token) == 26
    assert token == token.lower()
    assert "=" not in token


def test_person_iri_follows_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "another-secret")
    from_env = person_iri("11010519491231002X")
    assert from_env.endswith(expected_token("11010519491231002X", "another-secret"))
    assert person_iri("11010519491231002X", secret="another-secret") == from_env
    assert person_iri("11010519491231002X", secret=DEFAULT_SECRET) != from_env


def test_empty_secret_falls_back_to_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "")
    assert hmac_token("x") == expected_token("x", DEFAULT_SECRET)


def test_address_iri_hashes_code_and_text() -> None:
    iri = address_iri("371302001", "兰山街道人民路1号", secret="s")
    assert iri == URIRef(ID + "address/" + expected_token("371302001|兰山街道人民路1号", "s"))
    assert "人民路" not in iri


@pytest.mark.parametrize(
    ("code", "padded"),
    [
        ("37", "370000"),
        ("3713", "371300"),
        ("370000", "370000"),
        ("371302", "371302"),
        ("371302001", "371302001"),
        ("371302001001", "371302001001"),
    ],
)
def test_division_iri_pads_the_code(code: str, padded: str) -> None:
    assert division_iri(code) == URIRef(ID + "division/" + padded)


@pytest.mark.parametrize("code", ["", "3", "37130", "3713020011", "37a300", "３７"])
def test_division_iri_rejects_bad_codes(code: str) -> None:
    with pytest.raises(ValueError):
        division_iri(code)


def test_other_iris() -> None:
    assert entity_iri("12100000400009880K") == URIRef(ID + "entity/12100000400009880K")
    assert facility_iri("facilities", "F0000001") == URIRef(ID + "facility/facilities/F0000001")
    assert place_iri("geonames", "1803318") == URIRef(ID + "place/geonames/1803318")
    assert dataset_iri("population") == URIRef(ID + "dataset/population")
    assert graph_iri("legal-entities") == URIRef("https://w3id.org/sckm/graph/legal-entities")
    assert department_iri("public-security") == URIRef(ID + "department/public-security")
    source = URIRef(ID + "source/population/population.csv")
    assert source_file_iri("population", "population.csv") == source
    assert record_iri("population", "population.csv", 42) == URIRef(source + "#row=42")
    assert json_record_iri("population", "population.csv", 0) == URIRef(source + "#/0")


def test_segments_are_percent_encoded() -> None:
    assert facility_iri("facilities", "F 1/2") == URIRef(ID + "facility/facilities/F%201%2F2")
    with pytest.raises(ValueError):
        entity_iri("")


def test_record_lines_start_at_one() -> None:
    with pytest.raises(ValueError):
        record_iri("population", "population.csv", 0)
