"""The baseline the app is measured against: a bare Flask app, under the same gunicorn
settings, that answers every GET with a page read into memory once (byte-identical to the
app's page) and every POST with one INSERT into the same kind of database."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, Response

app = Flask(__name__)
PAGE = Path(os.environ["BARE_PAGE"]).read_bytes() if os.environ.get("BARE_PAGE") else b""
engine = sa.create_engine(os.environ.get("BARE_DATABASE_URL", "sqlite://"))
writes = sa.table("bench_writes", sa.column("client"), sa.column("written_at"))


@sa.event.listens_for(engine, "connect")
def same_pragmas_as_the_app(dbapi_connection, _record) -> None:
    if engine.dialect.name == "sqlite":
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=5000"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()


@app.get("/<path:anything>")
def page(anything: str) -> Response:
    return Response(PAGE, mimetype="text/html")


@app.post("/<path:anything>")
def write(anything: str) -> Response:
    with engine.begin() as connection:
        connection.execute(writes.insert().values(client=anything, written_at=sa.func.now()))
    return Response(b"", status=204)
