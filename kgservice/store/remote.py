"""The remote backend: any SPARQL 1.1 Protocol store (Oxigraph server, Fuseki, Virtuoso, QLever…).

It speaks HTTP with ``requests`` and hands back the same pyoxigraph objects as the embedded
backend, so nothing above the store knows which one it talks to.

**Queries.** One ``POST`` of an ``application/x-www-form-urlencoded`` body to the query URL. The
query form is not parsed here: the ``Accept`` header offers SPARQL JSON results first and
N-Triples next (then XML results, TSV results and Turtle), the store picks what fits the query,
and the response's ``Content-Type`` decides how it is read: results give ``ox.QuerySolutions`` or
``ox.QueryBoolean`` (``ox.parse_query_results``), graphs an iterator of ``ox.Triple``
(``ox.parse``). Results are *streamed*: the parsers read the response body as they are iterated,
a chunk at a time (gzip or deflate content encoding decoded on the way), so a result of millions
of rows is never whole in memory. The HTTP connection goes back to the pool once the body has
been read to its end, or when the result object is dropped.

**Union default graph.** ``union_default_graph=True`` with no dataset (no
``default-graph-uri``/``named-graph-uri``, no FROM/FROM NAMED in the query) sends
``union-default-graph`` with the query: an *Oxigraph server extension*, which other stores
ignore. For Fuseki (``tdb2:unionDefaultGraph``), Virtuoso, GraphDB or QLever the store's own
default-graph setting applies instead, so configure it there (or set
``KGSERVICE_UNION_DEFAULT_GRAPH=false`` to say that the store's default graph is its real
default graph). The module's own queries (graph names, quad count, the default graph's content
without a Graph Store URL) never send it, and so expect a store whose default graph is its real
default graph.

**Graphs.** With a Graph Store Protocol URL (``KGSERVICE_STORE_GRAPH_STORE_URL``; Oxigraph
server: ``/store``) reads use ``GET``/``HEAD ?graph=IRI`` (or ``?default``), additions ``POST``,
deletions ``DELETE``, all with N-Triples. Without it everything goes through SPARQL: ``ASK { GRAPH
<g> {} }``, ``CONSTRUCT``, ``INSERT DATA``, ``DROP``. *Replacing* a graph
(:meth:`RemoteStore.replace_graph`, :meth:`RemoteStore.put_graph`) never uses ``PUT``, because
a store may run a PUT as "clear, then load" in two steps (Oxigraph server does), which leaves a
window where the graph is empty or half written. It is one SPARQL update instead,
``DROP SILENT GRAPH <g> ; INSERT DATA { GRAPH <g> { … } } ; <also>``, which a store that runs an
update request as one transaction (Oxigraph, Fuseki/TDB2) applies whole or not at all. Stores
limit the size of an update request (Oxigraph server 0.5: 128 MiB, older ones 1 MiB; others
have their own limits or slow down on huge ``INSERT DATA``), so above ``max_update_bytes``
(default 32 MiB, about 300,000 triples) the triples are first uploaded with one Graph Store
``PUT`` to a private staging graph (``urn:kgservice:staging:<uuid>``) and one small update then
swaps them in: ``MOVE GRAPH <staging> TO GRAPH <g> ; <also>``. The target graph still changes in one
transaction; the staging graph is visible to other clients while it is uploaded (in
``GRAPH ?g`` and union-default-graph queries) and is dropped if the swap fails. Without a Graph
Store URL a large replacement is still sent as one update, and a store with a size limit
refuses it. The triples are always read whole (into a spooled temporary file) before the first
request, so a source that fails half way changes nothing.

**Errors.** 400 from the store raises :class:`StoreSyntaxError` with the store's message (trimmed
to :data:`MESSAGE_LIMIT` characters); connection refused, DNS failure, any other 4xx or 5xx
raise :class:`StoreUnavailable` naming the URL and the status; a connect or read timeout, 408,
504, or a 5xx whose message says the store timed out or cancelled the work raise
:class:`StoreTimeout`. No ``requests`` or ``urllib3`` exception escapes, also not while a
result is being read; a result the store breaks off half way (Oxigraph server then appends its
error message to the body) surfaces as the parser's ``SyntaxError`` for SELECT results, which
cannot be wrapped because they must stay ``ox.QuerySolutions``.

**What a generic store cannot guarantee.** Atomicity is the store's. Oxigraph and Fuseki
(TDB2 or in-memory datasets) run an update request as one transaction; a store that commits
operation by operation (Virtuoso, depending on its transaction and log settings) can leave a
graph replaced when a later ``also`` fails, and the staging upload counts on ``MOVE``.
``put_graph``, ``add_to_graph`` and ``drop_graph`` (without a Graph Store URL) learn whether
the graph existed from a check made just before the write, not in the same transaction. Stores
that do not keep empty named graphs (most but Oxigraph) report an emptied graph as absent, and
``graph_names`` and ``has_graph`` then follow the store. Blank nodes are sent with fresh
labels, so every write creates new blank nodes, as ``INSERT DATA`` does. A query's relative
IRIs without ``base_iri`` are resolved by the store (Oxigraph server: against its own URL),
where the embedded store refuses them.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import re
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import pyoxigraph as ox
import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from kgservice import __version__
from kgservice.errors import InputError
from kgservice.protocol.formats import (
    CSV,
    FORM_URLENCODED,
    SPARQL_UPDATE,
    format_by_media_type,
    parse_media_type,
)
from kgservice.sparql.lexer import declares_dataset, tokens
from kgservice.sparql.syntax_error import SYNTAX_ERROR, explain
from kgservice.store.base import (
    GraphName,
    GraphTarget,
    QueryDataset,
    QueryResult,
    Row,
    StoreSyntaxError,
    StoreTimeout,
    StoreUnavailable,
    UpdateDataset,
)

if TYPE_CHECKING:
    from kgservice.settings import Settings

ACCEPT_RESULTS = (
    "application/sparql-results+json, application/n-triples;q=0.9, "
    "application/sparql-results+xml;q=0.8, text/tab-separated-values;q=0.7, text/turtle;q=0.6"
)
N_TRIPLES = "application/n-triples"
ACCEPT_GRAPH = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
USER_AGENT = f"kgservice/{__version__}"
MESSAGE_LIMIT = 1000  # characters of a store's error message kept
_ERROR_BODY_BYTES = 64 * 1024  # bytes of an error response read
_SPOOL_BYTES = 16 * 1024 * 1024  # triples kept in memory before they spill to a temporary file
_MAX_CONNECT_SECONDS = 10.0
_MIN_LOAD_SECONDS = 300.0
_TIMEOUT_WORDS = re.compile(r"time[ds]?[ -]?out|timed out|cancel", re.I)
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")
_STAGING_PREFIX = "urn:kgservice:staging:"
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


@contextlib.contextmanager
def _syntax_told(text: str) -> Iterator[None]:
    """A syntax error the store reports in Oxigraph's words told as the embedded store tells
    it (:func:`~kgservice.sparql.syntax_error.explain`), against ``text`` as it was sent."""
    try:
        yield
    except StoreSyntaxError as error:
        if not error.message.startswith(SYNTAX_ERROR):  # "the store refused …": not the text's
            raise
        raise StoreSyntaxError(explain(text, error.message.removeprefix(SYNTAX_ERROR))) from None


def _with_base(text: str, base_iri: str | None) -> str:
    """``text`` with ``BASE <base_iri>`` in front if it has relative IRIs to resolve.

    Only then: the store would resolve them against its own URL, and an error position on the
    first line moves by the length of the added declaration. A BASE of the text's own still
    wins, as it comes later.
    """
    if base_iri and any(
        token.kind == "iri" and not _ABSOLUTE_IRI.match(token.text[1:-1]) for token in tokens(text)
    ):
        return f"BASE <{base_iri}> {text}"
    return text


def _redact(url: str) -> str:
    """``url`` without user name and password, for messages."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _reason(error: BaseException) -> str:
    """The operating system's words for a connection failure, else the exception's text."""
    text = str(error)
    found = _ERRNO.search(text)
    return found.group(1).strip() if found else _trim(text)


def _trim(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def _charset(response: requests.Response) -> str:
    """The charset the response's Content-Type names, if Python knows it; else UTF-8."""
    try:
        charset = parse_media_type(response.headers.get("Content-Type", "")).param("charset")
        return codecs.lookup(charset or "utf-8").name
    except (ValueError, LookupError):
        return "utf-8"


def _iri(node: GraphName) -> str:
    return f"<{node.value}>"


class _Chained(io.RawIOBase):
    """Bytes and binary files read one after the other, with a known length.

    ``requests`` sends it as a streamed request body with a ``Content-Length`` header.
    """

    def __init__(self, *parts: bytes | IO[bytes]) -> None:
        super().__init__()
        self._parts: list[IO[bytes]] = []
        self._length = 0
        for part in parts:
            if isinstance(part, bytes):
                self._parts.append(io.BytesIO(part))
                self._length += len(part)
            else:
                part.seek(0, io.SEEK_END)
                self._length += part.tell()
                part.seek(0)
                self._parts.append(part)
        self._position = 0

    def __len__(self) -> int:
        return self._length - self._position

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return 0  # ``len()`` already gives what is left to send

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while self._parts:
            data = self._parts[0].read(len(view))
            if data:
                view[: len(data)] = data
                self._position += len(data)
                return len(data)
            self._parts.pop(0)
        return 0


class _ResponseBody(io.RawIOBase):
    """A streamed response body as a binary file for pyoxigraph's parsers.

    Decodes gzip and deflate, turns the transport's errors into the store's errors, and
    releases the connection at the end of the body or when closed (also on garbage
    collection, which is what happens to a result that is not read to its end).
    """

    def __init__(self, response: requests.Response, store: RemoteStore, what: str) -> None:
        super().__init__()
        self._response = response
        self._store = store
        self._what = what
        response.raw.decode_content = True

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.closed:
            return 0
        try:
            data = self._response.raw.read(len(buffer))
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError):
            self.close()
            raise self._store._timeout_error(self._response.url, self._what) from None
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as error:
            self.close()
            place = _redact(self._response.url)
            raise StoreUnavailable(
                f"the store at {place} broke off its answer to the {self._what}: {_reason(error)}"
            ) from None
        if not data:
            self.close()
            return 0
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._response.close()
        super().close()


class RemoteStore:
    """A :class:`~kgservice.store.base.Store` over the SPARQL 1.1 Protocol and Graph Store
    Protocol of a remote store.

    ``update_url`` defaults to ``query_url``; without ``graph_store_url`` graphs are read and
    written with SPARQL queries and updates. ``timeout`` bounds connecting (at most 10 s) and
    each wait for data from the store; writes of whole graphs wait at least ``load_timeout``
    (default: the larger of ``timeout`` and 300 s). Above ``max_update_bytes`` a graph
    replacement goes through a staging graph (see the module documentation).
    """

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        graph_store_url: str | None = None,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        union_default_graph: bool = True,
        max_update_bytes: int = 32 * 1024 * 1024,
        load_timeout: float | None = None,
    ) -> None:
        self.query_url = query_url
        self.update_url = update_url or query_url
        self.graph_store_url = graph_store_url or None
        self.timeout = timeout
        self.load_timeout = (
            load_timeout if load_timeout is not None else max(timeout, _MIN_LOAD_SECONDS)
        )
        self.union_default_graph = union_default_graph
        self.max_update_bytes = max_update_bytes
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=64, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = USER_AGENT
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def __repr__(self) -> str:
        return f"RemoteStore({_redact(self.query_url)!r})"

    # --- HTTP ------------------------------------------------------------------------------

    def _timeout_error(self, url: str, what: str, seconds: float | None = None) -> StoreTimeout:
        waited = self.timeout if seconds is None else seconds
        return StoreTimeout(
            f"the store at {_redact(url)} sent nothing for {waited:g} s during the {what}; "
            "the request was given up"
        )

    def _send(
        self,
        method: str,
        url: str,
        what: str,
        *,
        ok: tuple[int, ...] = (),
        read_timeout: float | None = None,
        **options: Any,
    ) -> requests.Response:
        """Send one request and return its streamed response if it is 2xx or in ``ok``."""
        wait = self.timeout if read_timeout is None else read_timeout
        try:
            response = self.session.request(
                method,
                url,
                stream=True,
                timeout=(min(self.timeout, _MAX_CONNECT_SECONDS), wait),
                allow_redirects=method in ("GET", "HEAD"),
                **options,
            )
        except requests.Timeout:
            raise self._timeout_error(url, what, wait) from None
        except requests.RequestException as error:
            raise StoreUnavailable(
                f"cannot reach the store at {_redact(url)} for the {what}: {_reason(error)}"
            ) from None
        if 200 <= response.status_code < 300 or response.status_code in ok:
            return response
        try:
            raise self._status_error(response, url, what)
        finally:
            response.close()

    def _error_message(self, response: requests.Response) -> str:
        """The first part of an error response's body as one line, tags dropped from HTML."""
        try:
            response.raw.decode_content = True
            data = response.raw.read(_ERROR_BODY_BYTES)
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError):
            data = b""
        text = data.decode(_charset(response), errors="replace")
        if "html" in response.headers.get("Content-Type", "").lower():
            text = re.sub(r"(?is)<(script|style)\b.*?</\1>|<[^>]+>", " ", text)
        return _trim(text) or (response.reason or "no message")

    def _status_error(self, response: requests.Response, url: str, what: str) -> Exception:
        status = response.status_code
        message = self._error_message(response)
        place = _redact(url)
        if status == 400:
            if what in ("query", "update"):
                return StoreSyntaxError(f"{SYNTAX_ERROR}{message}")
            return StoreSyntaxError(f"the store refused the {what}: {message}")
        if status in (408, 504) or (status >= 500 and _TIMEOUT_WORDS.search(message)):
            return StoreTimeout(f"the store at {place} stopped the {what} ({status}): {message}")
        if status in (401, 403):
            return StoreUnavailable(
                f"the store at {place} refused the {what} ({status} {response.reason}): "
                f"{message}; check KGSERVICE_STORE_TOKEN"
            )
        return StoreUnavailable(
            f"the store at {place} answered the {what} with {status} {response.reason}: {message}"
        )

    def _graph_url(self, graph: GraphTarget) -> str:
        assert self.graph_store_url is not None
        target = (
            "default" if isinstance(graph, ox.DefaultGraph) else urlencode({"graph": graph.value})
        )
        separator = "&" if "?" in self.graph_store_url else "?"
        return f"{self.graph_store_url}{separator}{target}"

    # --- reading results -------------------------------------------------------------------

    def _result(
        self, response: requests.Response, what: str, *, graph_only: bool = False
    ) -> QueryResult:
        """The parsed, still streaming, result of a 2xx response, by its Content-Type."""
        content_type = response.headers.get("Content-Type", "")
        body = _ResponseBody(response, self, what)
        results = None if graph_only else format_by_media_type("results", content_type)
        if results is not None and results is not CSV:
            try:
                parsed = ox.parse_query_results(body, results.oxigraph)
            except SyntaxError as error:
                body.close()
                raise self._malformed(response, error) from None
            if isinstance(parsed, ox.QueryBoolean):
                body.close()
            return parsed
        graph = format_by_media_type("graph", content_type)
        if graph is not None:
            return self._triples_of(body, graph.oxigraph, response)
        body.close()
        raise StoreUnavailable(
            f"the store at {_redact(response.url)} answered the {what} with Content-Type "
            f"{content_type or '(none)'!r}, which is "
            + ("not RDF" if graph_only else "neither SPARQL results nor RDF")
        )

    def _malformed(self, response: requests.Response, error: BaseException) -> StoreUnavailable:
        return StoreUnavailable(
            f"the store at {_redact(response.url)} sent a malformed answer: {_trim(str(error))}"
        )

    def _triples_of(
        self, body: _ResponseBody, fmt: ox.RdfFormat, response: requests.Response
    ) -> Iterator[ox.Triple]:
        try:
            for quad in ox.parse(body, fmt):
                yield quad.triple
        except SyntaxError as error:
            raise self._malformed(response, error) from None
        finally:
            body.close()

    # --- SPARQL ----------------------------------------------------------------------------

    def _run_query(
        self,
        query: str,
        dataset: QueryDataset | None = None,
        *,
        base_iri: str | None = None,
        union: bool = False,
    ) -> QueryResult:
        form: list[tuple[str, str]] = [("query", _with_base(query, base_iri))]
        url = self.query_url
        if dataset:
            form += self._dataset_params(dataset)
        elif union and not declares_dataset(query):
            url += ("&" if "?" in url else "?") + "union-default-graph"
        with _syntax_told(form[0][1]):
            response = self._send(
                "POST",
                url,
                "query",
                data=urlencode(form).encode("ascii"),
                headers={"Content-Type": FORM_URLENCODED, "Accept": ACCEPT_RESULTS},
            )
        return self._result(response, "query")

    def _dataset_params(self, dataset: QueryDataset) -> list[tuple[str, str]]:
        """``default-graph-uri`` and ``named-graph-uri`` for ``dataset``.

        The protocol has no name for the store's own default graph. A dataset whose default
        graph is that graph alone (no named graphs either) is the store's default: nothing is
        sent. Otherwise the default graph can be left out only when it holds nothing, which
        costs one small request to check; if it holds triples, the query cannot be put to the
        store as asked and :class:`StoreUnavailable` says so.
        """
        named = [graph for graph in dataset.default_graphs if isinstance(graph, ox.NamedNode)]
        wants_default = len(named) < len(dataset.default_graphs)
        if wants_default and not named and not dataset.named_graphs:
            return []
        if wants_default and self._existed(ox.DefaultGraph()):
            raise StoreUnavailable(
                f"the store at {_redact(self.query_url)} cannot take its default graph into a "
                "query's dataset (the SPARQL protocol has no IRI for it) while that graph holds "
                "triples; keep the data in named graphs"
            )
        params = [("default-graph-uri", graph.value) for graph in named]
        params += [("named-graph-uri", graph.value) for graph in dataset.named_graphs]
        return params

    def query(
        self, query: str, dataset: QueryDataset | None = None, *, base_iri: str | None = None
    ) -> QueryResult:
        return self._run_query(query, dataset, base_iri=base_iri, union=self.union_default_graph)

    def _post_update(
        self, body: bytes | _Chained, params: list[tuple[str, str]], *, load: bool = False
    ) -> None:
        url = self.update_url
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        response = self._send(
            "POST",
            url,
            "update",
            data=body,
            headers={"Content-Type": f"{SPARQL_UPDATE}; charset=utf-8"},
            read_timeout=self.load_timeout if load else None,
        )
        response.close()

    def update(
        self,
        update: str,
        dataset: UpdateDataset | None = None,
        *,
        base_iri: str | None = None,
        touches: frozenset[str] | None = None,
    ) -> None:
        params: list[tuple[str, str]] = []
        if dataset:
            params += [("using-graph-uri", graph.value) for graph in dataset.using_graphs]
            params += [
                ("using-named-graph-uri", graph.value) for graph in dataset.using_named_graphs
            ]
        text = _with_base(update, base_iri)
        with _syntax_told(text):
            self._post_update(text.encode("utf-8"), params)

    def select(self, query: str, *, union_default_graph: bool = True) -> Iterator[Row]:
        solutions = self._run_query(query, union=union_default_graph)
        if not isinstance(solutions, ox.QuerySolutions):
            _discard(solutions)
            raise InputError("expected a SELECT query")
        names = [v.value for v in solutions.variables]
        for solution in solutions:
            yield {name: term for name in names if (term := solution[name]) is not None}

    def ask(self, query: str, *, union_default_graph: bool = True) -> bool:
        answer = self._run_query(query, union=union_default_graph)
        if not isinstance(answer, ox.QueryBoolean):
            _discard(answer)
            raise InputError("expected an ASK query")
        return bool(answer)

    # --- graphs ----------------------------------------------------------------------------

    def triples(self, graph: GraphTarget) -> Iterator[ox.Triple]:
        if self.graph_store_url is None:
            pattern = (
                "{ ?s ?p ?o }"
                if isinstance(graph, ox.DefaultGraph)
                else f"{{ GRAPH {_iri(graph)} {{ ?s ?p ?o }} }}"
            )
            result = self._run_query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {pattern}")
        else:
            response = self._send(
                "GET",
                self._graph_url(graph),
                "graph read",
                ok=(404,),
                headers={"Accept": ACCEPT_GRAPH},
            )
            if response.status_code == 404:
                response.close()
                return iter(())
            result = self._result(response, "graph read", graph_only=True)
        if isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
            raise StoreUnavailable(
                f"the store at {_redact(self.query_url)} answered a CONSTRUCT with query results"
            )
        return result

    def has_graph(self, graph: GraphTarget) -> bool:
        if isinstance(graph, ox.DefaultGraph):
            return True
        if self.graph_store_url is None:
            answer = self._run_query(f"ASK {{ GRAPH {_iri(graph)} {{ }} }}")
            return bool(answer)
        response = self._send("HEAD", self._graph_url(graph), "graph check", ok=(404,))
        response.close()
        return response.status_code != 404

    def _existed(self, graph: GraphTarget) -> bool:
        """Whether a PUT or DELETE finds something: a named graph, or a non-empty default."""
        if isinstance(graph, ox.DefaultGraph):
            found = self.triples(graph)
            try:
                return next(found, None) is not None
            finally:
                _discard(found)
        return self.has_graph(graph)

    def replace_graph(
        self, graph: GraphName, triples: Iterable[ox.Triple], also: str | None = None
    ) -> int:
        with _NTriples(triples) as data:  # the whole source is read before the store is touched
            if data.count == 0 and also is None:
                self._post_update(f"DROP SILENT GRAPH {_iri(graph)}".encode(), [])
                return 0
            self._replace(graph, data, also, keep_empty=False)
            return data.count

    def put_graph(self, graph: GraphTarget, triples: Iterable[ox.Triple]) -> bool:
        with _NTriples(triples) as data:
            existed = self._existed(graph)
            self._replace(graph, data, None, keep_empty=True)
            return existed

    def _replace(
        self, graph: GraphTarget, data: _NTriples, also: str | None, *, keep_empty: bool
    ) -> None:
        """Make ``graph`` hold exactly ``data``, and apply ``also``, in one update."""
        tail = f" ;\n{also}" if also else ""
        if isinstance(graph, ox.DefaultGraph):
            head, close = "CLEAR SILENT DEFAULT ;\nINSERT DATA {\n", "}"
            target = "DEFAULT"
        else:
            create = f" ;\nCREATE SILENT GRAPH {_iri(graph)}" if keep_empty else ""
            head = (
                f"DROP SILENT GRAPH {_iri(graph)}{create} ;\n"
                f"INSERT DATA {{ GRAPH {_iri(graph)} {{\n"
            )
            close = "} }"
            target = f"GRAPH {_iri(graph)}"
        size = len(head.encode()) + data.size + len((close + tail).encode())
        if data.count and self.graph_store_url is not None and size > self.max_update_bytes:
            self._replace_by_staging(target, data, tail)
            return
        body = _Chained(head.encode(), data.file, (close + tail).encode("utf-8"))
        self._post_update(body, [], load=True)

    def _replace_by_staging(self, target: str, data: _NTriples, tail: str) -> None:
        staging = ox.NamedNode(f"{_STAGING_PREFIX}{uuid.uuid4()}")
        try:
            response = self._send(
                "PUT",
                self._graph_url(staging),
                "graph upload",
                data=_Chained(data.file),
                headers={"Content-Type": f"{N_TRIPLES}; charset=utf-8"},
                read_timeout=self.load_timeout,
            )
            response.close()
            move = f"MOVE GRAPH {_iri(staging)} TO {target}{tail}"
            self._post_update(move.encode("utf-8"), [], load=True)
        except BaseException:
            with contextlib.suppress(Exception):
                self._post_update(f"DROP SILENT GRAPH {_iri(staging)}".encode(), [])
            raise

    def add_to_graph(self, graph: GraphTarget, triples: Iterable[ox.Triple]) -> bool:
        with _NTriples(triples) as data:
            existed = self.has_graph(graph)
            named = isinstance(graph, ox.NamedNode)
            if data.count == 0:
                if named and not existed:
                    self._post_update(f"CREATE SILENT GRAPH {_iri(graph)}".encode(), [])
                return existed
            if self.graph_store_url is not None:
                response = self._send(
                    "POST",
                    self._graph_url(graph),
                    "graph upload",
                    data=_Chained(data.file),
                    headers={"Content-Type": f"{N_TRIPLES}; charset=utf-8"},
                    read_timeout=self.load_timeout,
                )
                response.close()
                return existed
            head, close = (
                (f"INSERT DATA {{ GRAPH {_iri(graph)} {{\n", "} }")
                if named
                else ("INSERT DATA {\n", "}")
            )
            self._post_update(_Chained(head.encode(), data.file, close.encode()), [], load=True)
            return existed

    def drop_graph(self, graph: GraphTarget) -> bool:
        if isinstance(graph, ox.DefaultGraph):
            existed = self._existed(graph)
            if self.graph_store_url is not None:
                self._send("DELETE", self._graph_url(graph), "graph delete").close()
            else:
                self._post_update(b"CLEAR SILENT DEFAULT", [])
            return existed
        if self.graph_store_url is not None:
            response = self._send("DELETE", self._graph_url(graph), "graph delete", ok=(404,))
            response.close()
            return response.status_code != 404
        if not self.has_graph(graph):
            return False
        self._post_update(f"DROP SILENT GRAPH {_iri(graph)}".encode(), [])
        return True

    def graph_names(self) -> list[GraphName]:
        rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }", union_default_graph=False)
        names = (row["g"] for row in rows if isinstance(row.get("g"), ox.NamedNode))
        return sorted(names, key=str)  # type: ignore[arg-type]

    def changed_predicates(self, since: int, now: int) -> None:
        """Not known: the store has no content version."""
        return None

    def content_version(self) -> None:
        """Other clients may write the remote store directly: nothing here can tell when its
        contents change."""
        return None

    def quad_count(self) -> int:
        rows = self.select(
            "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }",
            union_default_graph=False,
        )
        row = next(iter(rows), {})
        count = row.get("n")
        if not isinstance(count, ox.Literal):
            raise StoreUnavailable(f"the store at {_redact(self.query_url)} gave no quad count")
        return int(count.value)

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()


def _discard(result: object) -> None:
    """Release the connection behind a result that will not be read."""
    close = getattr(result, "close", None)
    if callable(close):
        close()


class _NTriples:
    """Triples written as N-Triples to a spooled temporary file, blank nodes relabelled fresh.

    Reading the whole source first means a source that fails half way sends nothing. Fresh
    blank node labels keep the blank nodes of two writes apart on stores that keep the labels
    of uploaded data (Oxigraph server's Graph Store does).
    """

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        self.file: IO[bytes] = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (closed by __exit__)
            max_size=_SPOOL_BYTES
        )
        self.count = 0
        try:
            ox.serialize(self._relabelled(triples), self.file, ox.RdfFormat.N_TRIPLES)
        except BaseException:
            self.file.close()
            raise
        self.size = self.file.tell()
        self.file.seek(0)

    def _relabelled(self, triples: Iterable[ox.Triple]) -> Iterator[ox.Triple]:
        fresh: dict[ox.BlankNode, ox.BlankNode] = {}
        for triple in triples:
            self.count += 1
            subject, obj = triple.subject, triple.object
            if isinstance(subject, ox.BlankNode) or isinstance(obj, ox.BlankNode):
                if isinstance(subject, ox.BlankNode):
                    subject = fresh.get(subject) or fresh.setdefault(subject, ox.BlankNode())
                if isinstance(obj, ox.BlankNode):
                    obj = fresh.get(obj) or fresh.setdefault(obj, ox.BlankNode())
                triple = ox.Triple(subject, triple.predicate, obj)
            yield triple

    def __enter__(self) -> _NTriples:
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()


def open_remote(settings: Settings) -> RemoteStore:
    """The remote store the settings name (``KGSERVICE_STORE_URL`` and its companions)."""
    return RemoteStore(
        settings.store_url,
        settings.store_update_url or None,
        settings.store_graph_store_url or None,
        token=settings.store_token or None,
        timeout=settings.query_timeout,
        union_default_graph=settings.union_default_graph,
    )
