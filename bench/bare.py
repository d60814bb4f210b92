"""The baseline the app is measured against: a bare Flask app, under the same gunicorn
settings, that answers every GET with a page read into memory once (byte-identical to the
app's page), every POST with one INSERT into the same kind of database, and a quiz answer
with the rows the app stores for one, a statement per table."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, Response, request

app = Flask(__name__)
PAGE = Path(os.environ["BARE_PAGE"]).read_bytes() if os.environ.get("BARE_PAGE") else b""
# Several pages at once, each under a first path segment of its own: "name=file" entries
# separated by os.pathsep, served at /name/... .
PAGES = {
    name: Path(file).read_bytes()
    for name, file in (
        entry.split("=", 1) for entry in os.environ.get("BARE_PAGES", "").split(os.pathsep) if entry
    )
}
engine = sa.create_engine(os.environ.get("BARE_DATABASE_URL", "sqlite://"))
writes = sa.table("bench_writes", sa.column("client"), sa.column("written_at"))
attempts = sa.table(
    "quiz_attempts",
    *(
        sa.column(name)
        for name in (
            "id",
            "user_id",
            "course",
            "lesson_slug",
            "number",
            "language",
            "submitted_at",
            "points",
            "max_points",
            "passed",
        )
    ),
)
answers = sa.table(
    "quiz_answers",
    sa.column("attempt_id"),
    sa.column("question_id"),
    sa.column("selected", sa.JSON),
    sa.column("is_correct"),
)
progress = sa.table(
    "lesson_progress",
    sa.column("user_id"),
    sa.column("course"),
    sa.column("lesson_slug"),
    sa.column("completed_at"),
)


@sa.event.listens_for(engine, "connect")
def same_pragmas_as_the_app(dbapi_connection, _record) -> None:
    if engine.dialect.name == "sqlite":
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=5000"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()


@app.get("/<path:anything>")
def page(anything: str) -> Response:
    return Response(PAGES.get(anything.split("/", 1)[0], PAGE), mimetype="text/html")


@app.post("/<path:anything>")
def write(anything: str) -> Response:
    with engine.begin() as connection:
        connection.execute(writes.insert().values(client=anything, written_at=sa.func.now()))
    return Response(b"", status=204)


@app.post("/quiz/<int:user_id>")
def quiz(user_id: int) -> Response:
    """The rows of a graded attempt, as the form's fields name them: the attempt, its
    answers (one INSERT of them all) and the lesson's progress, completed."""
    form = request.form
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    chosen = json.loads(form["answers"])
    with engine.begin() as connection:
        attempt_id = connection.execute(
            attempts.insert()
            .values(
                user_id=user_id,
                course=form["course"],
                lesson_slug=form["lesson"],
                number=int(form["number"]),
                language="es",
                submitted_at=now,
                points=len(chosen),
                max_points=len(chosen),
                passed=True,
            )
            .returning(attempts.c.id)
        ).scalar_one()
        connection.execute(
            answers.insert().values(
                [
                    {"attempt_id": attempt_id, "question_id": q, "selected": s, "is_correct": True}
                    for q, s in chosen.items()
                ]
            )
        )
        connection.execute(
            progress.update()
            .where(
                progress.c.user_id == user_id,
                progress.c.course == form["course"],
                progress.c.lesson_slug == form["lesson"],
            )
            .values(completed_at=now)
        )
    return Response(b"", status=303, headers={"Location": "/"})
