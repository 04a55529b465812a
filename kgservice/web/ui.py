"""``/``: the query page, YASGUI over this service's SPARQL endpoint, with the example queries.

YASGUI is vendored in ``static/vendor/yasgui`` (``scripts/vendor-yasgui``), so the page loads
nothing from another host. The page's script (``static/query-page.js``) reads its settings (the
endpoint URL and the examples) from a JSON block of the page.
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from werkzeug.routing import BuildError

from kgservice.questions import example_query, load_catalog
from kgservice.web.examples import load_examples

bp = Blueprint(
    "ui",
    __name__,
    static_folder="static",
    static_url_path="/static",
    template_folder="templates",
)

ENDPOINT_FALLBACK = "/sparql"


def url_or(endpoint: str, fallback: str) -> str:
    """The URL of ``endpoint``, or ``fallback`` when no view of that name is registered."""
    try:
        return url_for(endpoint)
    except BuildError:
        return fallback


def page_settings() -> dict:
    """What the page's script needs: the endpoint URL, the example tabs and the questions."""
    return {
        "endpoint": url_or("sparql.endpoint", ENDPOINT_FALLBACK),
        "examples": [
            {"id": example.id, "name": example.tab_name, "query": example.query}
            for example in load_examples()
        ],
        "questions": [
            {
                "id": question.id,
                "name": f"{question.title['zh']} / {question.title['en']}",
                "query": example_query(question),
            }
            for question in load_catalog().values()
        ],
    }


@bp.get("/")
def index() -> str:
    """The query page."""
    settings = page_settings()
    return render_template(
        "index.html",
        endpoint_url=settings["endpoint"],
        settings=settings,
        service_description_url=settings["endpoint"] + "?format=ttl",
        catalog_url=url_or("catalog.catalog", "/catalog"),
        questions_url=url_or("questions.catalogue", "/questions"),
        health_url=url_or("ops.healthz", "/healthz"),
    )
