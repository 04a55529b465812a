"""The HTTP layer: a Flask app that is a thin client of the store (see :mod:`kgservice.web.app`)."""
