"""The lessons as data: every lesson checks out, the list and the pages that open them."""

from __future__ import annotations

import html
import re
from pathlib import Path

from fastapi.testclient import TestClient

from app.services.lessons import FACT_KINDS, Lesson, lessons
from engine.optimizers import OPTIMIZERS
from engine.surface.surfaces import SURFACES

FACTS_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "lessons" / "facts.js"
JS_TABLES = {"surface": "SURFACE", "network": "NETWORK", "init": "INIT"}


def js_fact_kinds(table: str) -> set[str]:
    """The keys of one `const TABLE = { kind: (...) => ..., }` block of facts.js."""
    text = FACTS_JS.read_text(encoding="utf-8")
    block = re.search(rf"^const {table} = \{{\n(.*?)^\}};", text, re.S | re.M).group(1)
    return set(re.findall(r"^  (\w+): ", block, re.M))


def test_the_browser_reads_every_fact_kind_the_lessons_may_use():
    for lab, table in JS_TABLES.items():
        assert js_fact_kinds(table) == set(FACT_KINDS[lab]), lab


def test_sixteen_lessons_cover_both_labs_and_the_init_experiment():
    found = lessons()
    assert len(found) >= 16
    assert {lesson.lab for lesson in found} == {"surface", "network", "init"}
    assert len({lesson.id for lesson in found}) == len(found)


def test_surface_lessons_name_real_surfaces_and_optimizers():
    for lesson in lessons():
        if lesson.lab != "surface":
            continue
        view = dict(part.split("=", 1) for part in lesson.view.split("&"))
        assert view["surface"] in SURFACES, lesson.id
        optimizers = [run.split("(", 1)[0] for run in view["runs"].split("~")]
        assert all(name in OPTIMIZERS for name in optimizers), (lesson.id, optimizers)
        for fact in lesson.facts.values():
            assert fact.run < len(optimizers), (lesson.id, fact)


def test_an_answer_that_quotes_an_undefined_fact_is_refused():
    raw = lessons()[0].model_dump()
    raw["answer"]["en"] += " {nowhere}"
    try:
        Lesson.model_validate(raw)
    except ValueError as err:
        assert "nowhere" in str(err)
    else:
        raise AssertionError("a template quoting an undefined fact was accepted")


def test_a_fact_of_another_lab_is_refused():
    raw = lessons()[0].model_dump()
    raw["facts"]["small_final"] = {"kind": "val_accuracy", "run": 0}
    try:
        Lesson.model_validate(raw)
    except ValueError as err:
        assert "val_accuracy" in str(err)
    else:
        raise AssertionError("a network fact on a surface lesson was accepted")


def test_the_api_lists_every_lesson_with_its_url(client: TestClient):
    answer = client.get("/api/v1/lessons")
    assert answer.status_code == 200
    body = answer.json()
    assert [item["id"] for item in body] == [lesson.id for lesson in lessons()]
    urls = {item["id"]: item["url"] for item in body}
    assert urls["momentum_valley"] == "/#lesson=momentum_valley"
    assert urls["batch_norm"] == "/network#lesson=batch_norm"
    assert urls["init_activation"] == "/init#lesson=init_activation"


def test_the_index_page_links_every_lesson(client: TestClient):
    page = html.unescape(client.get("/lessons").text)
    for lesson in lessons():
        assert f'href="{lesson.url}"' in page
        assert lesson.title.en in page and lesson.title.zh in page


def test_a_short_link_opens_its_lab_and_an_unknown_one_is_a_404(client: TestClient):
    answer = client.get("/lessons/nesterov", follow_redirects=False)
    assert answer.status_code == 307
    assert answer.headers["location"] == "/#lesson=nesterov"
    missing = client.get("/lessons/no_such_lesson", follow_redirects=False)
    assert missing.status_code == 404
    assert "no_such_lesson" in missing.json()["detail"]
