"""What every view needs, kept on the app: the store, the settings, the runner, the limits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import current_app

from kgservice.local_reasoning import Refresher
from kgservice.settings import Settings
from kgservice.sparql.answer_cache import AnswerCache
from kgservice.sparql.execute import Limits
from kgservice.store.base import Store
from kgservice.web.metrics import Metrics
from kgservice.web.runner import Runner

EXTENSION = "kgservice"


@dataclass
class ServiceState:
    """The service's parts, shared by all requests of one process."""

    store: Store
    settings: Settings
    runner: Runner
    limits: Limits
    metrics: Metrics
    #: the ontology's personal properties (read at start, not on the first anonymous query)
    personal_properties: frozenset[str] = frozenset()
    #: keeps graph:inferred right after writes (None: KGSERVICE_REASONING=off)
    reasoner: Refresher | None = None
    #: whole answers of queries asked again, until a write may change them
    #: (KGSERVICE_ANSWER_CACHE_MB)
    answers: AnswerCache = field(default_factory=lambda: AnswerCache(0))

    def written(self, changed: Iterable[ox.Quad] | None = None) -> None:
        """A write was committed that added or removed the quads ``changed`` (``None``: not
        known): what is derived from the store is stale."""
        if self.reasoner is not None:
            self.reasoner.request(changed)


def current_state() -> ServiceState:
    """The state of the app handling the current request."""
    return current_app.extensions[EXTENSION]
