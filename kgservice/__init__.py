"""Smart-city knowledge model service: ontology, SHACL validation and a SPARQL 1.1 service."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kgservice")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
