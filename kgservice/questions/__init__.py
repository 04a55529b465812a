"""Named cross-domain questions: a catalogue of SPARQL files with typed parameters."""

from kgservice.questions.binding import ParameterError, bind, bound_query, example_query
from kgservice.questions.catalog import CatalogError, Parameter, Question, load_catalog

__all__ = [
    "CatalogError",
    "Parameter",
    "ParameterError",
    "Question",
    "bind",
    "bound_query",
    "example_query",
    "load_catalog",
]
