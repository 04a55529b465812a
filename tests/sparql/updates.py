"""What the tests of updates computed without a copy of the store share: a small store."""

from __future__ import annotations

from kgservice.sparql.execute import Limits
from kgservice.store.embedded import EmbeddedStore, open_embedded

EX = "http://example.org/"
G = f"{EX}graph/a"
LIMITS = Limits(max_rows=100, max_query_bytes=10_000, max_query_depth=20, allowed_remote=())
BASE = "http://service.example/sparql"


def small_store() -> EmbeddedStore:
    """Two subjects with values in the default graph, two named graphs."""
    store = open_embedded(None)
    store.update(
        f"INSERT DATA {{ <{EX}s> <{EX}p> 'one', 'two'@zh ; <{EX}age> 30 . "
        f"<{EX}t> <{EX}p> 'three' ; <{EX}age> 70 . "
        f"GRAPH <{G}> {{ <{EX}s> <{EX}p> 1 , <{EX}o> . <{EX}o> <{EX}p> <{EX}s> }} "
        f"GRAPH <{EX}graph/b> {{ <{EX}t> <{EX}p> <{EX}o> }} }}"
    )
    return store
