"""``/questions``: the catalogue of named cross-domain questions, and their answers.

``GET /questions`` describes every question (JSON, or an HTML page for a browser): its SPARQL,
its typed parameters and an ``example_query`` with the defaults bound, runnable on any endpoint.
``GET /questions/<id>?<parameter>=<value>…`` answers one: the parameters are bound as RDF terms
(:mod:`kgservice.questions.binding`) and the query runs exactly as a ``/sparql`` query of the
same reader would (dataset, personal data, limits, timeout), with its results in any SPARQL
results format by ``Accept`` or ``format``.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for

from kgservice.errors import InputError
from kgservice.protocol.negotiation import parse_accept
from kgservice.protocol.params import QueryRequest
from kgservice.questions import Question, bind, bound_query, example_query, load_catalog
from kgservice.web.negotiate_html import HTML_ALIASES, weight
from kgservice.web.sparql_views import run_query
from kgservice.web.state import current_state
from kgservice.web.urls import public_url

bp = Blueprint("questions", __name__)

RESERVED = frozenset({"format"})  # protocol parameters, never a question's


class UnknownQuestion(InputError):
    """No question has this id (404)."""

    http_status = 404


def describe(question: Question) -> dict:
    """A question as the catalogue's JSON lists it."""
    return {
        "id": question.id,
        "title": question.title,
        "description": question.description,
        "domains": list(question.domains),
        "form": question.form,
        "parameters": [parameter.as_json() for parameter in question.parameters],
        "sparql": question.sparql,
        "example_query": example_query(question),
        "url": public_url("questions.answer", question_id=question.id),
    }


def _wants_html() -> bool:
    if request.args.get("format") in ("html", "text/html"):
        return True
    if request.args.get("format"):
        return False
    ranges = parse_accept(request.headers.get("Accept"))
    html = weight(ranges, "text/html", HTML_ALIASES)
    return html > weight(ranges, "application/json")


@bp.get("/questions")
def catalogue() -> Response | str:
    """Every question: JSON by default, an HTML page for a browser."""
    questions = [describe(question) for question in load_catalog().values()]
    if _wants_html():
        return render_template("questions.html", questions=questions)
    response = jsonify({"questions": questions})
    response.headers["Vary"] = "Accept"
    return response


@bp.get("/questions/<question_id>")
def answer(question_id: str) -> Response:
    """The answer to one question, its parameters bound from the query string."""
    question = load_catalog().get(question_id)
    if question is None:
        raise UnknownQuestion(
            f"no question {question_id!r}: GET {url_for('questions.catalogue')} lists them"
        )
    if _wants_html():  # a browser: the question's entry on the catalogue page
        return redirect(url_for("questions.catalogue", _anchor=question.id), 303)
    raw: dict[str, str] = {}
    for name in request.args:
        values = [value for value in request.args.getlist(name) if value.strip()]
        if name not in RESERVED and values:  # an empty form field: not given
            raw[name] = ",".join(values)
    text = bound_query(question, bind(question, raw))
    return run_query(current_state(), QueryRequest(text), request.args.get("format"))
