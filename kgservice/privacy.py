"""Personal data: which properties carry it, how it is masked, and where the raw values live.

The ground rule: the service never shows personal data (citizen ID numbers, names, phone numbers,
address text) unmasked to anonymous readers. The layout that makes this possible
(docs/data-model.md §6):

* a property carries personal data when the ontology marks it ``city:personalData true``
  (:func:`personal_properties`; today ``city:citizenId``, ``city:personName``, ``city:phone`` and
  ``city:addressText``);
* a source's named graph ``graph:<source id>`` holds every other triple of the source plus a
  **masked** copy of each personal triple (:func:`split_personal`, :func:`mask_literal`);
* the raw personal triples are in the source's **personal graph** ``graph:<source id>/personal``
  (:func:`personal_graph`), which readers without the personal-data token never see
  (:func:`is_personal_graph` tells the read side which graphs to leave out of their dataset).

Masking keeps enough of a value for a person who knows the record to recognise it, not enough to
identify a citizen. Every masking function is deterministic (same value, same mask), keeps the
length of the value except where noted, and maps an empty value to itself.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

import pyoxigraph as ox
from rdflib import Graph, Literal
from rdflib.namespace import XSD

from kgservice.iri import GRAPH
from kgservice.namespaces import CITY

MASK = "*"
#: What an unknown personal property's value (or an address's hidden part) becomes.
FULL_MASK = "****"
PERSONAL_SUFFIX = "/personal"
#: The catalogue property that names a dataset's personal graph (city:namedGraph is functional:
#: one graph per dataset).
PERSONAL_GRAPH_PROPERTY = str(CITY.personalGraph)

_XSD_STRING = ox.NamedNode(str(XSD.string))
#: Datatypes a masked value may keep; any other (a number, a date) becomes xsd:string.
_STRING_TYPES = frozenset(str(XSD[name]) for name in ("string", "normalizedString", "token"))


# ------------------------------------------------------------------------- which properties


def personal_properties(model: Graph | None = None) -> frozenset[str]:
    """The IRIs of the properties the ontology marks ``city:personalData true``.

    >>> sorted(p.rsplit("/", 1)[1] for p in personal_properties())
    ['addressText', 'citizenId', 'personName', 'phone']

    Without ``model`` the repository's model (:func:`kgservice.ontology.files.load_model`) is read
    once and cached.
    """
    if model is None:
        return _model_personal_properties()
    return frozenset(
        str(subject)
        for subject, marker in model.subject_objects(CITY.personalData)
        if isinstance(marker, Literal) and marker.datatype == XSD.boolean and marker.value is True
    )


@lru_cache(maxsize=1)
def _model_personal_properties() -> frozenset[str]:
    from kgservice.ontology.files import load_model

    return personal_properties(load_model())


# ----------------------------------------------------------------------------------- masking


def _keep_ends(text: str, head: int, tail: int) -> str:
    """Keep ``head`` leading and ``tail`` trailing characters, mask the rest.

    At least 4 characters and at least a third of them are always masked: ``head`` and ``tail``
    shrink (the tail first) until that holds, so a short value is masked entirely.
    """
    length = len(text)
    keep = length - max(4, math.ceil(length / 3))
    while head + tail > max(keep, 0):
        if tail >= head:
            tail -= 1
        else:
            head -= 1
    return text[:head] + MASK * (length - head - tail) + (text[length - tail :] if tail else "")


def mask_citizen_id(value: str) -> str:
    """Mask a citizen ID number: only the first 4 characters (province and prefecture) stay.

    >>> mask_citizen_id("371302199001011234")
    '3713**************'
    >>> mask_citizen_id("371302900101123")
    '3713***********'

    The familiar "first 4 and last 4" mask is not safe here: birth dates and residences are
    public in the city data, and they are exactly the digits it hides, so the kept sequence
    code and check character would give the whole number back. Any other length (a malformed
    value) keeps at most the first 4 characters, fewer so that at least 4 characters and a
    third of them are masked; a value of 4 characters or fewer is masked entirely:

    >>> mask_citizen_id("12345678")
    '1234****'
    >>> mask_citizen_id("1234")
    '****'
    """
    value = value.strip()
    if len(value) in (15, 18):
        return value[:4] + MASK * (len(value) - 4)
    return _keep_ends(value, 4, 0)


def mask_name(value: str) -> str:
    """Mask a person's name: the first character stays, every other one becomes ``*``.

    >>> mask_name("张三")
    '张*'
    >>> mask_name("欧阳娜娜")
    '欧***'
    >>> mask_name("John Smith")
    'J*********'

    Compound surnames (欧阳, 司马, 诸葛 …) are not recognised: only their first character is kept,
    which keeps a list of surnames out of the service and masks more rather than less. A name of
    one character is masked entirely (``"张"`` -> ``"*"``), as keeping it would keep everything.
    """
    value = value.strip()
    if len(value) <= 1:
        return MASK * len(value)
    return value[0] + MASK * (len(value) - 1)


_MOBILE = re.compile(r"1[0-9]{10}")


def mask_phone(value: str) -> str:
    """Mask a phone number. A mainland mobile number keeps its first 3 and last 4 digits:

    >>> mask_phone("13812345678")
    '138****5678'

    Any other number keeps at most its first 3 and last 4 characters, fewer so that at least 4
    characters and a third of them are masked:

    >>> mask_phone("0539-8123456")
    '053*****3456'
    >>> mask_phone("8123456")
    '81****6'
    >>> mask_phone("110")
    '***'
    """
    value = value.strip()
    if _MOBILE.fullmatch(value):
        return value[:3] + MASK * 4 + value[-4:]
    return _keep_ends(value, 3, 4)


_ADMINISTRATIVE = re.compile(r"^(.*?(?:街道|镇|乡|(?<!小)区|县))(?=.)", re.DOTALL)
ADDRESS_FALLBACK = 6


def mask_address(value: str) -> str:
    """Mask the text of an address: the administrative part stays, the rest becomes ``****``.

    The administrative part runs up to and including the first 街道, 镇, 乡, 区 or 县 that is
    followed by more text (``小区``, a residential compound, does not count):

    >>> mask_address("山东省临沂市兰山区银雀山街道沂蒙路123号")
    '山东省临沂市兰山区****'
    >>> mask_address("筵宾镇滨河路778号")
    '筵宾镇****'

    Without one the first 6 characters stay, and of a text of 12 characters or fewer at most
    half of them, so part of it is always hidden:

    >>> mask_address("临沂市沂蒙路一百二十三号院")
    '临沂市沂蒙路****'
    >>> mask_address("沂蒙路5号")
    '沂蒙****'

    The mask is always ``****``: it does not tell the length of what it hides.
    """
    value = value.strip()
    if not value:
        return value
    found = _ADMINISTRATIVE.match(value)
    if found:
        return found.group(1) + FULL_MASK
    return value[: min(ADDRESS_FALLBACK, len(value) // 2)] + FULL_MASK


MASKERS: dict[str, Callable[[str], str]] = {
    str(CITY.citizenId): mask_citizen_id,
    str(CITY.personName): mask_name,
    str(CITY.phone): mask_phone,
    str(CITY.addressText): mask_address,
}


def mask_value(predicate: str, value: str) -> str:
    """Mask ``value`` of the property ``predicate``; a property without its own rule gives
    ``****`` whatever the value.

    >>> mask_value("https://w3id.org/sckm/city/phone", "13812345678")
    '138****5678'
    >>> mask_value("https://w3id.org/sckm/city/email", "someone@example.org")
    '****'
    """
    masker = MASKERS.get(predicate)
    return masker(value) if masker else FULL_MASK


def mask_literal(predicate: str | ox.NamedNode, literal: ox.Literal) -> ox.Literal:
    """The masked copy of ``literal``, a value of ``predicate`` (see :func:`mask_value`).

    The copy keeps the literal's language tag, and its datatype when that is a string type
    (``xsd:string``, ``xsd:normalizedString``, ``xsd:token``); a value of any other datatype is
    no longer a number or date once masked, so its copy is an ``xsd:string``.

    >>> mask_literal("https://w3id.org/sckm/city/personName", ox.Literal("张三"))
    <Literal value=张* datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#string>>
    """
    iri = predicate.value if isinstance(predicate, ox.NamedNode) else str(predicate)
    masked = mask_value(iri, literal.value)
    if literal.language:
        return ox.Literal(masked, language=literal.language)
    if literal.datatype.value in _STRING_TYPES:
        return ox.Literal(masked, datatype=literal.datatype)
    return ox.Literal(masked, datatype=_XSD_STRING)


# ------------------------------------------------------------------------------------ graphs


def personal_graph(graph_iri: str) -> str:
    """The graph holding the raw personal values of the source loaded into ``graph_iri``.

    >>> personal_graph("https://w3id.org/sckm/graph/population")
    'https://w3id.org/sckm/graph/population/personal'

    Only a source graph ``graph:<source id>`` has one: any other IRI is a ``ValueError``, so every
    graph this function names is one :func:`is_personal_graph` recognises.
    """
    graph_iri = str(graph_iri)
    source = graph_iri.removeprefix(str(GRAPH))
    if source == graph_iri or not source or "/" in source:
        raise ValueError(f"not the graph of a source (graph:<source id>): <{graph_iri}>")
    return graph_iri + PERSONAL_SUFFIX


def is_personal_graph(iri: str | ox.NamedNode) -> bool:
    """Whether ``iri`` is a personal graph ``graph:<source id>/personal`` (raw personal data).

    >>> is_personal_graph("https://w3id.org/sckm/graph/population/personal")
    True
    >>> is_personal_graph("https://w3id.org/sckm/graph/population")
    False

    A source id never contains ``/`` (:func:`kgservice.iri.graph_iri` percent-encodes it), so a
    source called ``personal`` has the public graph ``graph:personal``:

    >>> is_personal_graph("https://w3id.org/sckm/graph/personal")
    False
    """
    value = iri.value if isinstance(iri, ox.NamedNode) else str(iri)
    rest = value.removeprefix(str(GRAPH))
    if rest == value or not rest.endswith(PERSONAL_SUFFIX):
        return False
    source = rest.removesuffix(PERSONAL_SUFFIX)
    return bool(source) and "/" not in source


def split_personal(
    triples: Iterable[ox.Triple], properties: Iterable[str] | None = None
) -> tuple[list[ox.Triple], list[ox.Triple]]:
    """Split a source's triples into its public graph and its personal graph.

    The public list holds every triple whose predicate is not in ``properties`` (by default
    :func:`personal_properties`), plus a masked copy (:func:`mask_literal`) of each personal
    triple whose object is a literal; the personal list holds the raw personal triples. A personal
    triple whose object is an IRI or a blank node has no masked form: it is in the personal list
    only. Masked copies that coincide (two names of one person, both ``张*``) appear once.
    """
    personal_iris = frozenset(personal_properties() if properties is None else properties)
    public: list[ox.Triple] = []
    personal: list[ox.Triple] = []
    masked_seen: set[ox.Triple] = set()
    for triple in triples:
        if triple.predicate.value not in personal_iris:
            public.append(triple)
            continue
        personal.append(triple)
        if isinstance(triple.object, ox.Literal):
            masked = ox.Triple(
                triple.subject, triple.predicate, mask_literal(triple.predicate, triple.object)
            )
            if masked not in masked_seen:
                masked_seen.add(masked)
                public.append(masked)
    return public, personal


def unmasked_quads(
    store: ox.Store,
    properties: Iterable[str] | None = None,
    leave_out: frozenset[str] = frozenset(),
) -> Iterator[ox.Quad]:
    """Every quad of ``store`` except the masked copies: the data as its sources gave it.

    For those with full rights (validation): a personal triple in a graph that has a personal
    graph in the store is a masked copy and is left out; the raw value is in the personal graph,
    which is kept. A graph without a personal graph (loaded before this layout, or written
    through the service before :mod:`kgservice.writes` split service writes too) keeps all its
    triples. The named graphs of ``leave_out`` (e.g. the derived ones) are not read at all.
    """
    personal_iris = frozenset(personal_properties() if properties is None else properties)
    masked_in = masked_graphs(store)
    for graph in (ox.DefaultGraph(), *store.named_graphs()):
        if isinstance(graph, ox.NamedNode) and graph.value in leave_out:
            continue
        masked = isinstance(graph, ox.NamedNode) and graph.value in masked_in
        for quad in store.quads_for_pattern(None, None, None, graph):
            if masked and quad.predicate.value in personal_iris:
                continue
            yield quad


def _personal_of(graph: str) -> str | None:
    try:
        return personal_graph(graph)
    except ValueError:
        return None


def public_graph_of(graph: str) -> str | None:
    """The source graph ``graph`` keeps personal data for: itself if it is a source graph
    ``graph:<id>``, ``graph:<id>`` if it is that graph's personal graph, else None.

    >>> public_graph_of("https://w3id.org/sckm/graph/population/personal")
    'https://w3id.org/sckm/graph/population'
    >>> public_graph_of("https://w3id.org/sckm/graph/population")
    'https://w3id.org/sckm/graph/population'
    >>> public_graph_of("http://example.org/other") is None
    True
    """
    if is_personal_graph(graph):
        return graph.rsplit("/", 1)[0]
    return graph if graph and _personal_of(graph) is not None else None


def masked_graphs(store: ox.Store) -> set[str]:
    """The source graphs of ``store`` whose personal triples are masked copies: those with a
    personal graph beside them."""
    graphs = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
    return {g for g in graphs if not is_personal_graph(g) and _personal_of(g) in graphs}
