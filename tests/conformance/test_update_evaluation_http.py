"""The W3C SPARQL 1.1 update-evaluation tests, end to end over HTTP against the running service.

For each ``mf:UpdateEvaluationTest`` of the folders in :data:`FOLDERS`: the store is emptied,
the action's ``ut:data`` is loaded into the default graph and each ``ut:graphData`` into the
named graph its ``rdfs:label`` names (Graph Store ``PUT``); ``ut:request`` is sent to
``/sparql`` with the write token (``BASE <its IRI>`` in front, as the query tests do), and
then the default graph and every named graph, read back through the Graph Store, must be the
result's ``ut:data`` and ``ut:graphData`` (graph isomorphism; a named graph the result does not
list must be empty). Updates run through the service's whole write pipeline: their effect
computed (by looking the quads up for ``INSERT DATA``/``DELETE DATA`` and for one
``DELETE``/``INSERT … WHERE``, on a copy of the store otherwise), validated, applied in one
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.namespace import RDF, RDFS

from tests.conformance.conftest import REQUEST_TIMEOUT, WRITER, LiveService
from tests.conformance.w3c import (
    MF,
    UT,
    fragment,
    local_path,
    parse_rdf,
    rdf_media_type,
    read_manifest,
    require_suite,
    same_graph,
)

FOLDERS = (
    "add",
    "basic-update",
    "clear",
    "copy",
    "delete",
    "delete-data",
    "delete-insert",
    "delete-where",
    "drop",
    "move",
    "update-silent",
)
REMOTE_LOAD = (
    "the service fetches nothing the operator has not listed in KGSERVICE_ALLOWED_REMOTE "
    "(none by default): a LOAD of another IRI is refused with 400 before anything runs, "
    "SILENT or not, where the test expects a SILENT LOAD of a missing document to succeed"
)
ALLOWED_FAILURES = {
    "update-silent/load-silent": REMOTE_LOAD,
    "update-silent/load-into-silent": REMOTE_LOAD,
}
"""``folder/test`` → why the service does otherwise; each must still fail that way."""
DERIVED = ("https://w3id.org/sckm/graph/inferred", "https://w3id.org/sckm/graph/quality")


@dataclass(frozen=True)
class UpdateTest:
    folder: str
    name: str
    request: str  # IRI of the .ru file
    data: tuple[str, ...]
    graph_data: tuple[tuple[str, str], ...]  # (graph name, file IRI)
    expected_data: tuple[str, ...]
    expected_graph_data: tuple[tuple[str, str], ...]

    @property
    def id(self) -> str:
        return f"{self.folder}/{self.name}"


def _graph_data(manifest: Graph, node: object) -> tuple[tuple[str, str], ...]:
    return tuple(
        sorted(
            (str(manifest.value(entry, RDFS.label)), str(manifest.value(entry, UT.graph)))
            for entry in manifest.objects(node, UT.graphData)
        )
    )


def update_tests(folder: str) -> list[UpdateTest]:
    manifest, entries = read_manifest(folder)
    tests = []
    for entry in entries:
        if manifest.value(entry, RDF.type) != MF.UpdateEvaluationTest:
            continue
        action, result = manifest.value(entry, MF.action), manifest.value(entry, MF.result)
        tests.append(
            UpdateTest(
                folder=folder,
                name=fragment(str(entry)),
                request=str(manifest.value(action, UT.request)),
                data=tuple(sorted(str(d) for d in manifest.objects(action, UT.data))),
                graph_data=_graph_data(manifest, action),
                expected_data=tuple(sorted(str(d) for d in manifest.objects(result, UT.data))),
                expected_graph_data=_graph_data(manifest, result),
            )
        )
    return tests


TESTS = [test for folder in FOLDERS for test in update_tests(folder)]


def test_the_manifests_were_read() -> None:
    for folder in FOLDERS:
        assert (require_suite(folder) / "manifest.ttl").is_file(), folder
    counts = {folder: sum(t.folder == folder for t in TESTS) for folder in FOLDERS}
    assert all(counts.values()), counts
    assert len(TESTS) == 94, counts
    assert set(ALLOWED_FAILURES) <= {test.id for test in TESTS}


def _turtle(iri: str) -> tuple[bytes, str]:
    path = local_path(iri)
    if path.suffix == ".ttl":
        return f"@base <{iri}> .\n".encode() + path.read_bytes(), "text/turtle"
    return path.read_bytes(), rdf_media_type(path)


def _load(service: LiveService, test: UpdateTest) -> None:
    service.clear()
    for position, iri in enumerate(test.data):
        data, media_type = _turtle(iri)
        (service.put_graph if position == 0 else service.post_graph)(None, data, media_type)
    for graph, iri in test.graph_data:
        data, media_type = _turtle(iri)
        service.put_graph(graph, data, media_type)


def _read(service: LiveService, graph: str | None) -> list[ox.Triple]:
    params = {"graph": graph} if graph is not None else {"default": ""}
    response = service.http.get(
        service.store_url,
        params=params,
        headers={"Accept": "application/n-triples", **WRITER},
        timeout=REQUEST_TIMEOUT,
    )
    assert response.status_code == 200, f"{response.status_code}: {response.text}"
    return [q.triple for q in ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)]


def _named_graphs(service: LiveService) -> set[str]:
    response = service.http.post(
        service.sparql_url,
        data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
        headers={"Accept": "application/sparql-results+json", **WRITER},
        timeout=REQUEST_TIMEOUT,
    )
    assert response.status_code == 200, response.text
    rows = response.json()["results"]["bindings"]
    return {row["g"]["value"] for row in rows} - set(DERIVED)


def _expected(files: tuple[str, ...]) -> list[ox.Triple]:
    return [t for iri in files for t in parse_rdf(local_path(iri), iri)]


@pytest.mark.parametrize("test", TESTS, ids=[t.id for t in TESTS])
def test_update_evaluation(live_service: LiveService, test: UpdateTest) -> None:
    _load(live_service, test)
    request = local_path(test.request).read_text(encoding="utf-8")
    if test.id in ALLOWED_FAILURES:
        response = live_service.http.post(
            live_service.sparql_url,
            data={"update": f"BASE <{test.request}>\n{request}"},
            headers=WRITER,
            timeout=REQUEST_TIMEOUT,
        )
        assert response.status_code == 400, response.text
        assert "KGSERVICE_ALLOWED_REMOTE" in response.text
        return
    live_service.update(f"BASE <{test.request}>\n{request}")
    assert same_graph(_expected(test.expected_data), _read(live_service, None)), "default graph"
    expected = dict(test.expected_graph_data)
    for graph in sorted(_named_graphs(live_service) | set(expected)):
        wanted = _expected((expected[graph],)) if graph in expected else []
        assert same_graph(wanted, _read(live_service, graph)), f"graph <{graph}>"


def test_data_updates_and_one_modify_are_not_run_on_a_copy(
    live_service: LiveService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The looked-up paths are the ones these tests take for INSERT DATA / DELETE DATA and for
    a single DELETE/INSERT … WHERE."""
    live_service.clear()

    def no_copy(*args, **kwargs):
        raise AssertionError("an INSERT DATA was run on a copy of the store")

    monkeypatch.setattr("kgservice.web.sparql_views.update_delta", no_copy)
    live_service.update("INSERT DATA { <http://example.org/s> <http://example.org/p> 1 }")
    live_service.update(
        "DELETE { ?s ?p ?o } INSERT { ?s ?p 2 } WHERE { ?s ?p ?o }"
    )  # one DELETE/INSERT … WHERE: its templates instantiated, no copy either
    triples = _read(live_service, None)
    assert [(str(t.subject), t.object.value) for t in triples] == [("<http://example.org/s>", "2")]
