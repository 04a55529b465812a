"""Namespaces of the smart-city knowledge model and the vocabularies it reuses.

Every module of the ontology has an ontology IRI ``BASE + <module>`` and mints its
terms under ``BASE + <module> + "/"``; the ontology IRI of the whole model is
``BASE + "ontology"``.
"""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SKOS, SOSA, VANN, XSD

BASE = "https://w3id.org/sckm/"
VERSION = "0.1.0"

#: Ontology IRI of each module, by module name (also the file stem in ``ontology/``).
MODULES = ("core", "city", "codes", "terms", "schemes", "alignment")
TOP_ONTOLOGY = BASE + "ontology"


def module_iri(module: str) -> str:
    """Return the ontology IRI of ``module`` (e.g. ``https://w3id.org/sckm/core``)."""
    return BASE + module


def version_iri(module: str | None = None) -> str:
    """Return the version IRI of ``module`` (or of the top ontology when ``None``)."""
    return f"{BASE}{VERSION}/{module or 'ontology'}"


SCCM = Namespace(BASE + "core/")  # the 27 core concepts and their relations
CITY = Namespace(BASE + "city/")  # people, legal entities, places, infrastructure
CODE = Namespace(BASE + "codes/")  # SKOS code lists (GB/T 2261.1, GB/T 36104, GB/T 4754, ...)
TERM = Namespace(BASE + "terms/")  # GB/T 37043 terms and other standards' terms
SCHEME = Namespace(BASE + "schemes/")  # SKOS schemes from the seed documents
ID = Namespace(BASE + "id/")  # instance data minted by the mappings

GEO = Namespace("http://www.opengis.net/ont/geosparql#")
GEOF = Namespace("http://www.opengis.net/def/function/geosparql/")
WGS = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
SCHEMA = Namespace("https://schema.org/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
ORG = Namespace("http://www.w3.org/ns/org#")

#: Prefixes bound in every graph the project writes.
PREFIXES: dict[str, Namespace] = {
    "sccm": SCCM,
    "city": CITY,
    "code": CODE,
    "term": TERM,
    "scheme": SCHEME,
    "geo": GEO,
    "geof": GEOF,
    "wgs": WGS,
    "sosa": SOSA,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "dcat": DCAT,
    "prov": PROV,
    "owl": OWL,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "vann": VANN,
    "schema": SCHEMA,
    "foaf": FOAF,
    "org": ORG,
}
