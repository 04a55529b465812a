"""``/cockpit``: the city cockpit (数字驾驶舱), charts drawn in the browser from named questions.

The page asks the service's own ``/questions/<id>`` for JSON results (SPARQL 1.1 results JSON)
and draws them with Apache ECharts, vendored under ``static/vendor/echarts``
(``scripts/vendor-echarts``): nothing comes from another host. For a county or township chosen
on the page it shows residents, legal entities and facilities (``division-summary``), legal
entities by status and industry (``division-entities``), facilities by type and on a map of
their coordinates (``division-facilities``), and validation findings per department
(``quality-by-department``).
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for

from kgservice.questions import load_catalog

bp = Blueprint("cockpit", __name__)

#: The questions the page is built on, by the role they play in it.
QUESTIONS = {
    "summary": "division-summary",
    "entities": "division-entities",
    "facilities": "division-facilities",
    "quality": "quality-by-department",
}
CITY_DIVISION = "371300"  # Linyi: the demo city
DEFAULT_COUNTY = "371302"  # 兰山区


def opening_requests() -> list[tuple[str, dict[str, str]]]:
    """What the page asks when it opens (``static/cockpit.js``): the city's counties, then
    the default county's townships, legal entities and facilities, and the findings per
    department. The service answers them ahead (:mod:`kgservice.web.warming`)."""
    return [
        (QUESTIONS["summary"], {"parent": CITY_DIVISION}),
        (QUESTIONS["summary"], {"parent": DEFAULT_COUNTY}),
        (QUESTIONS["entities"], {"division": DEFAULT_COUNTY}),
        (QUESTIONS["facilities"], {"division": DEFAULT_COUNTY}),
        (QUESTIONS["quality"], {}),
    ]


def page_settings() -> dict:
    """What the page's script needs: the question URLs and the divisions it starts on."""
    catalog = load_catalog()
    return {
        "questions": {
            role: url_for("questions.answer", question_id=question_id)
            for role, question_id in QUESTIONS.items()
            if question_id in catalog
        },
        "city": CITY_DIVISION,
        "county": DEFAULT_COUNTY,
    }


@bp.get("/cockpit")
def cockpit() -> str:
    """The cockpit page."""
    return render_template("cockpit.html", settings=page_settings())
