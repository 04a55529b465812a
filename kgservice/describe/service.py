"""The SPARQL 1.1 Service Description of the endpoint (``GET /sparql`` without a query).

Spec: https://www.w3.org/TR/sparql11-service-description/ (vocabulary ``sd:``,
http://www.w3.org/ns/sparql-service-description#). What it states about this service:

* ``sd:endpoint``: the public URL of ``/sparql``;
* ``sd:supportedLanguage``: ``sd:SPARQL11Query`` and ``sd:SPARQL11Update``;
* ``sd:resultFormat``: every format of :mod:`kgservice.protocol.formats`, named by the W3C's
  format IRIs (https://www.w3.org/ns/formats/);
* ``sd:feature``: ``sd:UnionDefaultGraph`` when queries without a dataset see the union of the
  named graphs (``KGSERVICE_UNION_DEFAULT_GRAPH``). ``sd:BasicFederatedQuery`` is *not*
  declared: SERVICE is refused unless ``KGSERVICE_ALLOWED_REMOTE`` lets it through;
* ``sd:extensionFunction``: every GeoSPARQL ``geof:`` function the embedded store answers, the
  engine's own and those :mod:`kgservice.sparql.geo` registers (each an ``sd:Function``);
* ``sd:defaultEntailmentRegime``: simple entailment (no inference);
* ``sd:defaultDataset``: the dataset the VoID description (https://www.w3.org/TR/void/) tells
  about, linked with ``rdfs:seeAlso`` to the VoID document so a client can fetch it.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import RDF, RDFS, Graph, Namespace, URIRef

from kgservice.describe.void import SD, VOID, void_dataset_iri
from kgservice.protocol.formats import FORMATS, Format
from kgservice.sparql import geo

FORMATS_NS = Namespace("http://www.w3.org/ns/formats/")
ENTAILMENT_SIMPLE = URIRef("http://www.w3.org/ns/entailment/Simple")

#: W3C format IRI (https://www.w3.org/ns/formats/) of each canonical media type.
FORMAT_IRIS: dict[str, URIRef] = {
    "application/sparql-results+json": FORMATS_NS["SPARQL_Results_JSON"],
    "application/sparql-results+xml": FORMATS_NS["SPARQL_Results_XML"],
    "text/csv": FORMATS_NS["SPARQL_Results_CSV"],
    "text/tab-separated-values": FORMATS_NS["SPARQL_Results_TSV"],
    "text/turtle": FORMATS_NS["Turtle"],
    "application/n-triples": FORMATS_NS["N-Triples"],
    "application/n-quads": FORMATS_NS["N-Quads"],
    "application/trig": FORMATS_NS["TriG"],
    "application/ld+json": FORMATS_NS["JSON-LD"],
    "application/rdf+xml": FORMATS_NS["RDF_XML"],
}


def format_iri(fmt: Format) -> URIRef:
    """The W3C format IRI of ``fmt``; ``KeyError`` for a format the table does not know."""
    return FORMAT_IRIS[fmt.media_type]


def service_iri(endpoint_url: str) -> URIRef:
    """The IRI of the service resource: the endpoint URL with the fragment ``#service``."""
    return URIRef(endpoint_url.split("#", 1)[0] + "#service")


def service_description(
    endpoint_url: str,
    *,
    union_default_graph: bool,
    void_url: str | None = None,
    extension_functions: Iterable[str] | None = None,
) -> Graph:
    """The Service Description graph of the endpoint at ``endpoint_url``.

    ``void_url`` is where the VoID description is served; without it the default dataset is not
    described (the endpoint still is). ``extension_functions``: the IRIs of the functions the
    store answers beyond SPARQL 1.1; by default the embedded store's
    (:func:`kgservice.sparql.geo.extension_functions`).
    """
    graph = Graph(bind_namespaces="core")
    graph.bind("sd", SD)
    graph.bind("void", VOID)
    graph.bind("formats", FORMATS_NS)
    graph.bind("geof", geo.GEOF)
    service = service_iri(endpoint_url)
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, URIRef(endpoint_url)))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Update))
    for kind_formats in FORMATS.values():
        for fmt in kind_formats:
            graph.add((service, SD.resultFormat, format_iri(fmt)))
    if union_default_graph:
        graph.add((service, SD.feature, SD.UnionDefaultGraph))
    if extension_functions is None:
        extension_functions = geo.extension_functions()
    for iri in extension_functions:
        graph.add((service, SD.extensionFunction, URIRef(iri)))
        graph.add((URIRef(iri), RDF.type, SD.Function))
    graph.add((service, SD.defaultEntailmentRegime, ENTAILMENT_SIMPLE))
    if void_url:
        dataset = URIRef(void_dataset_iri(void_url))
        graph.add((service, SD.defaultDataset, dataset))
        graph.add((dataset, RDF.type, SD.Dataset))
        graph.add((dataset, RDF.type, VOID.Dataset))
        graph.add((dataset, RDFS.seeAlso, URIRef(void_url)))
        graph.add((dataset, VOID.sparqlEndpoint, URIRef(endpoint_url)))
    return graph
