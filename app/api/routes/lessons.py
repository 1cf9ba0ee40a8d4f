"""Guided lessons: the list as JSON, the index page, and a short link that opens one."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.api.routes.pages import TEMPLATES
from app.services.lessons import lesson, lessons

router = APIRouter(tags=["lessons"])


@router.get("/api/v1/lessons")
def read_lessons() -> list[dict]:
    """Every lesson of both labs: its view (the lab page's link), question, choices and answer template."""
    return [item.model_dump() | {"url": item.url} for item in lessons()]


@router.get("/lessons", response_class=HTMLResponse, include_in_schema=False)
def lesson_index(request: Request) -> HTMLResponse:
    """The lesson index: both labs' lessons, each a link that opens straight into it."""
    labs = list(dict.fromkeys(item.lab for item in lessons()))  # in teaching order
    groups = [(lab, [item for item in lessons() if item.lab == lab]) for lab in labs]
    return TEMPLATES.TemplateResponse(request, "lessons.html", {"page": "lessons", "groups": groups})


@router.get("/lessons/{lesson_id}", include_in_schema=False)
def open_lesson(lesson_id: str) -> RedirectResponse:
    """A short lesson link: on to its lab page with the lesson in the link."""
    found = lesson(lesson_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no lesson {lesson_id!r}; see /lessons")
    return RedirectResponse(found.url, status_code=307)
