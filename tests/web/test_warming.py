"""The catalogue's questions answered into the answer cache before anyone asks them."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from kgservice.questions import Question, load_catalog
from kgservice.settings import load_settings
from kgservice.web.app import create_app
from kgservice.web.cockpit_views import opening_requests
from kgservice.web.state import EXTENSION
from kgservice.web.warming import (
    QuestionWarmer,
    start_warming,
    warm_questions,
    warm_request,
    warm_requests,
)
from tests.web.conftest import city_app
from tests.web.test_answer_cache import NAME, PUBLIC, WRITER, app_over

JSON = {"Accept": "application/sparql-results+json"}


def test_every_question_answered_ahead_is_then_sent_from_the_cache(city_store) -> None:
    app = city_app(city_store)
    state = app.extensions[EXTENSION]
    catalogue = list(load_catalog().values())

    warmed = warm_questions(state, warm_requests(catalogue))

    assert (warmed.kept, warmed.computed, warmed.failed) == (len(catalogue),) * 2 + (0,)
    assert warm_questions(state, warm_requests(catalogue)).computed == 0  # all kept already
    uncached = create_app(
        load_settings({"KGSERVICE_AUDIT_LOG": "off", "KGSERVICE_ANSWER_CACHE_MB": "0"}),
        city_store,
    ).test_client()
    client = app.test_client()
    for count, question in enumerate(catalogue, start=1):
        kept = client.get(f"/questions/{question.id}", headers=JSON)
        assert kept.status_code == 200, kept.data
        assert state.answers.hits == count, question.id
        assert kept.data == uncached.get(f"/questions/{question.id}", headers=JSON).data


def test_a_question_asked_with_other_parameters_is_not_among_them(city_store) -> None:
    app = city_app(city_store)
    state = app.extensions[EXTENSION]
    question = load_catalog()["division-summary"]
    warm_questions(state, warm_requests([question]))
    app.test_client().get(f"/questions/{question.id}?division=371302", headers=JSON)
    assert state.answers.hits == 0


def test_the_cockpits_opening_view_is_answered_ahead_too(city_store) -> None:
    """Of the requests the cockpit makes when it opens, one is not a question's defaults: the
    default county's townships. It is answered ahead and sent from the cache as computed."""
    app = city_app(city_store)
    state = app.extensions[EXTENSION]
    catalogue = list(load_catalog().values())
    requests = warm_requests(catalogue, opening_requests())
    assert requests == [warm_request(question) for question in catalogue] + [
        warm_request(load_catalog()["division-summary"], {"parent": "371302"})
    ]  # the cockpit's other opening requests are questions' defaults

    warmed = warm_questions(state, requests)

    assert (warmed.kept, warmed.failed) == (len(catalogue) + 1, 0)
    uncached = create_app(
        load_settings({"KGSERVICE_AUDIT_LOG": "off", "KGSERVICE_ANSWER_CACHE_MB": "0"}),
        city_store,
    ).test_client()
    for url in ["/questions/division-summary?parent=371302", "/questions/division-summary"]:
        hits = state.answers.hits
        kept = app.test_client().get(url, headers=JSON)
        assert kept.status_code == 200, kept.data
        assert state.answers.hits == hits + 1, url
        assert kept.data == uncached.get(url, headers=JSON).data
        assert json.loads(kept.data)["results"]["bindings"]


def test_requests_the_catalogue_cannot_answer_are_left_out(tmp_path, caplog) -> None:
    names = names_question(tmp_path)
    also = [
        ("division-summary", {"parent": "371302"}),  # not in this catalogue
        ("names", {}),  # its defaults again
        ("names", {"parent": "371302"}),  # a parameter it does not take: logged
    ]
    assert warm_requests([names], also) == [warm_request(names)]
    assert "not answering names ahead with {'parent': '371302'}: unknown parameter" in caplog.text


def names_question(tmp_path: Path) -> Question:
    return Question(
        id="names",
        title={"zh": "姓名", "en": "Names"},
        description={"zh": "姓名", "en": "Names"},
        domains=("person", "place"),
        parameters=(),
        sparql=f"SELECT ?name WHERE {{ ?p <{NAME}> ?name }} ORDER BY ?name",
        path=tmp_path / "01-names.rq",
    )


def wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.02)


def test_the_answers_are_computed_again_once_the_store_is_quiet_after_a_write(
    tmp_path, caplog
) -> None:
    app = app_over()
    state = app.extensions[EXTENSION]
    caplog.set_level(logging.INFO, logger="kgservice.web.warming")
    warmer = QuestionWarmer(
        state, [names_question(tmp_path)], quiet_seconds=0.3, poll_seconds=0.02
    ).start()
    try:
        wait_for(lambda: len(warmer.rounds) == 1)
        client = app.test_client()
        update = f'INSERT DATA {{ GRAPH <{PUBLIC}> {{ <urn:b> <{NAME}> "李*" }} }}'
        assert client.post("/sparql", data={"update": update}, headers=WRITER).status_code == 204
        written = time.monotonic()
        wait_for(lambda: len(warmer.rounds) == 2)
        assert time.monotonic() - written >= 0.3  # it waited for the store to be quiet
    finally:
        warmer.stop(timeout=10)
    first, second = warmer.rounds
    assert second.version > first.version and second.computed == second.kept == 1
    hits = state.answers.hits
    answer = client.get("/sparql", query_string={"query": names_question(tmp_path).sparql})
    rows = json.loads(answer.data)["results"]["bindings"]
    assert [row["name"]["value"] for row in rows] == ["张*", "李*"]
    assert state.answers.hits == hits + 1
    assert "answers of 1 of 1 named-question requests ready" in caplog.text


def test_a_failing_question_is_logged_and_the_others_still_run(tmp_path, caplog) -> None:
    app = app_over()
    state = app.extensions[EXTENSION]
    broken = Question(**{**names_question(tmp_path).__dict__, "sparql": "SELECT ?x WHERE {"})
    warmed = warm_questions(state, [warm_request(broken), warm_request(names_question(tmp_path))])
    assert (warmed.failed, warmed.kept) == (1, 1)
    assert "answering question names ahead of time failed" in caplog.text


@pytest.mark.parametrize(
    "env",
    [{"KGSERVICE_WARM_QUESTIONS": "false"}, {"KGSERVICE_ANSWER_CACHE_MB": "0"}],
    ids=["switched off", "no answer cache"],
)
def test_nothing_is_warmed_when_the_settings_say_so(env) -> None:
    assert start_warming(app_over(**env).extensions[EXTENSION]) is None
