"""Guided lessons: a preset view, a predict-then-run question and an answer quoting the run's numbers.

Lessons are data (``app/lessons/<lab>.json``), checked here at load time. A lesson's ``view`` is the
lab page's own link (the URL hash a student could have copied), so the page opens it with the code that
reads any link. Its ``answer`` is a template: ``{name}`` is filled in the browser with the number the
fact ``name`` reads from the live result (``static/js/lessons/facts.js`` computes each kind), never a
number written into the text.
"""

from __future__ import annotations

import functools
import json
import re
import string
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

LESSON_DIR = Path(__file__).resolve().parents[1] / "lessons"
LAB_FILES = ("surface", "network")
LAB_PAGES = {"surface": "/", "network": "/network", "init": "/init"}

# The fact kinds the browser knows how to read, per lab (static/js/lessons/facts.js; a test holds them equal).
FACT_KINDS: dict[str, tuple[str, ...]] = {
    "surface": (
        "final_loss",
        "min_loss",
        "steps_to_loss",
        "diverged_at",
        "final_x",
        "final_y",
        "max_jump",
        "jump_at",
        "first_step_heading",
        "tail_mean_loss",
        "loss_at",
    ),
    "network": (
        "step",
        "train_loss",
        "val_loss",
        "train_accuracy",
        "val_accuracy",
        "overfit_gap",
        "grad_ratio",
        "dead_max",
        "accuracy_step",
        "loss_wiggle",
    ),
    "init": ("std_at", "mean_at", "saturated_share"),
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """One text in both of the UI's languages."""

    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)


class Choice(Strict):
    id: str = Field(pattern=r"^[a-d]$")
    text: Text


class Fact(Strict):
    """A number read from the live result: ``kind`` of run/network ``run`` (0-based) or of ``layer``."""

    kind: str
    run: int = Field(0, ge=0, le=15)
    below: float | None = None  # steps_to_loss: the loss to reach
    above: float | None = None  # accuracy_step: the accuracy to reach; saturated_share: |a| counted as saturated
    last: int | None = Field(None, ge=1)  # tail_mean_loss: how many final points
    step: int | None = Field(None, ge=0)  # loss_at, jump_at
    layer: int | None = None  # std_at, mean_at, grad layers: 1-based, −1 for the last


class Lesson(Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    lab: Literal["surface", "network", "init"]
    seed: Text = Field(description="where the experiment comes from in the teaching notes")
    view: str = Field(description="the lab page's link hash, without '#'")
    until_step: int | None = Field(None, ge=1, description="network lessons: train this far, then answer")
    title: Text
    setup: Text
    question: Text
    choices: tuple[Choice, ...] = Field(min_length=3, max_length=4)
    correct: str
    answer: Text
    facts: dict[str, Fact]

    @model_validator(mode="after")
    def check(self) -> Lesson:
        ids = [c.id for c in self.choices]
        if len(set(ids)) != len(ids) or self.correct not in ids:
            raise ValueError(f"{self.id}: choices need distinct ids and `correct` must be one of them")
        for name, fact in self.facts.items():
            if fact.kind not in FACT_KINDS[self.lab]:
                raise ValueError(f"{self.id}: fact {name} has kind {fact.kind}, not one of {FACT_KINDS[self.lab]}")
        for lang in ("en", "zh"):
            used = {f for _, f, _, _ in string.Formatter().parse(getattr(self.answer, lang)) if f}
            if missing := used - set(self.facts):
                raise ValueError(f"{self.id}: the {lang} answer uses undefined facts {sorted(missing)}")
            if unused := set(self.facts) - used:
                raise ValueError(f"{self.id}: the {lang} answer never quotes facts {sorted(unused)}")
        if re.search(r"[#?]", self.view):
            raise ValueError(f"{self.id}: the view is a hash without '#' or '?'")
        if (self.lab == "network") != (self.until_step is not None):
            raise ValueError(f"{self.id}: network lessons (and only they) say how far to train (until_step)")
        return self

    @property
    def url(self) -> str:
        """Where the lesson opens: its lab page, told which lesson by the link."""
        return f"{LAB_PAGES[self.lab]}#lesson={self.id}"


@functools.cache
def lessons() -> tuple[Lesson, ...]:
    """Every lesson of every lab, in teaching order (surface first); ids are unique."""
    found: list[Lesson] = []
    for lab in LAB_FILES:
        raw = json.loads((LESSON_DIR / f"{lab}.json").read_text(encoding="utf-8"))
        found.extend(Lesson.model_validate(entry) for entry in raw)
    ids = [lesson.id for lesson in found]
    if len(set(ids)) != len(ids):
        raise ValueError(f"lesson ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
    return tuple(found)


def lesson(lesson_id: str) -> Lesson | None:
    return next((item for item in lessons() if item.id == lesson_id), None)
