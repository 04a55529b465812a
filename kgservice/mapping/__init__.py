"""Declarative mappings of city sources to RDF (``kgservice map``).

Each source kind (:mod:`~kgservice.mapping.sources`) has a YARRRML mapping in ``mappings/`` that
Morph-KGC runs on records read and checked by :mod:`~kgservice.mapping.readers`;
:mod:`~kgservice.mapping.provenance` describes every mapped source for ``graph:catalog``.
"""

from kgservice.mapping.run import MappedSource, map_source, map_sources
from kgservice.mapping.sources import SOURCE_KINDS, SourceKind

__all__ = ["SOURCE_KINDS", "MappedSource", "SourceKind", "map_source", "map_sources"]
