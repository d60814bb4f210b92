"""Run every benchmark and write the results: `python -m bench` (see bench/README.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench import measures
from bench.data import COHORTS_PER_COURSE, bench_app, seed, seed_site, write_course, write_site

HEADER = ["measure", "the app", "baseline, same run", "ratio"]
# RESULTS.md keeps, below this heading, the account of what profiling found and what was
# changed (written by hand), when a new run replaces the figures above it.
KEPT_HEADING = "## What profiling found, and what changed"


def table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    cpu = "unknown processor"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    return (
        f"{os.cpu_count()} × {cpu}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def _on_server(url: str, *statements: str) -> None:
    server = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        for statement in statements:
            connection.execute(sa.text(statement))
    server.dispose()


def fresh_postgres(url: str, name: str) -> str | None:
    """A new, empty database `name` on the server of `url`, or None if it does not answer."""
    try:
        _on_server(
            url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
        )
    except sa.exc.OperationalError:
        return None
    return sa.make_url(url).set(database=name).render_as_string(hide_password=False)


def _postgres_databases(size: str) -> tuple[str, ...]:
    return (f"aula_bench_{size}", f"aula_bench_writes_{size}", f"aula_bench_site_{size}")


def measure_site(
    work: Path, args: argparse.Namespace, sizes: measures.Sizes, databases: list[str], seeding
) -> list[tuple[str, list[list[str]]]]:
    """The site of several courses and cohorts, on each database the run measures: its
    seeding (added to `seeding`), the admin's and trainers' pages and the export of one
    cohort; and on SQLite, a lesson page."""
    lessons = write_site(work / "site", sizes.site_courses, sizes.site_lessons)
    cohorts = sizes.site_courses * COHORTS_PER_COURSE
    page_rows, export_rows, lesson_rows = [], [], []
    for database_url in databases:
        backend = sa.make_url(database_url).get_backend_name()
        if backend == "sqlite":
            site_url = f"sqlite:///{work / 'site.db'}"
        else:
            site_url = fresh_postgres(args.postgres, f"aula_bench_site_{args.size}")
        app = bench_app(site_url, lessons, work / f"site-{backend}-instance")
        site = seed_site(app, sizes.site_learners)
        seeding.append(
            [
                f"{backend}: seed {sizes.site_courses} courses × {sizes.site_lessons} lessons, "
                f"{cohorts} cohorts, {site.learners:,} learners",
                f"{site.memberships:,} memberships, {site.progress_rows:,} progress rows, "
                f"{site.attempts:,} quiz attempts, {site.answers:,} answers "
                f"in {site.seconds:.1f} s",
                "",
                "",
            ]
        )
        page_rows += measures.site_pages(work, site_url, lessons, site, sizes)
        export_rows += measures.cohort_exports(work, site_url, lessons, site, sizes)
        if backend == "sqlite":
            lesson_rows += measures.site_lesson_page(work, site_url, lessons, site, sizes)
    return [
        ("Courses and cohorts: admin and trainer pages", page_rows),
        ("Courses and cohorts: lesson page throughput", lesson_rows),
        ("Courses and cohorts: cohort export", export_rows),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", choices=sorted(measures.SIZES), default="full")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "RESULTS.md")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="a server to create the benchmark's databases on ('' to skip PostgreSQL)",
    )
    args = parser.parse_args()
    sizes = measures.SIZES[args.size]
    work = Path(tempfile.mkdtemp(prefix="aula-bench-"))
    began = time.perf_counter()
    sections: list[tuple[str, list[list[str]]]] = []
    databases: list[str] = []
    try:
        sections.append(("Start-up", measures.startup(work, sizes)))
        sections.append(("Lesson page throughput", measures.page_throughput(work, sizes)))
        course = write_course(work / "course", 15)
        databases.append(f"sqlite:///{work / 'seeded.db'}")
        if args.postgres and (url := fresh_postgres(args.postgres, f"aula_bench_{args.size}")):
            databases.append(url)
        seeding, export_rows, dashboard_rows, write_rows = [], [], [], []
        for database_url in databases:
            backend = sa.make_url(database_url).get_backend_name()
            app = bench_app(database_url, course, work / f"seed-{backend}-instance")
            seeded = seed(app, sizes.learners)
            seeding.append(
                [
                    f"{backend}: seed {seeded.learners:,} learners × 15 lessons",
                    f"{seeded.progress_rows:,} progress rows, {seeded.attempts:,} quiz attempts "
                    f"in {seeded.seconds:.1f} s",
                    "",
                    "",
                ]
            )
            export_rows += measures.exports(work, database_url, course, seeded, sizes)
            dashboard_rows += measures.dashboard(work, database_url, course)
            writes_url = (
                f"sqlite:///{work / 'writes.db'}"
                if backend == "sqlite"
                else fresh_postgres(args.postgres, f"aula_bench_writes_{args.size}")
            )
            write_rows += measures.writes(work, writes_url, course, sizes)
        site_rows = measure_site(work, args, sizes, databases, seeding)
        sections += [
            ("Seeding", seeding),
            ("Progress export", export_rows),
            ("Admin dashboard", dashboard_rows),
            ("Concurrent writes", write_rows),
            *site_rows,
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
        # The seeded databases are large: nothing of the run is left on the server.
        if any(sa.make_url(url).get_backend_name() == "postgresql" for url in databases):
            for name in _postgres_databases(args.size):
                _on_server(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    minutes = (time.perf_counter() - began) / 60
    text = [
        "# Benchmark results",
        "",
        f"Run on {dt.date.today().isoformat()} with `python -m bench --size {args.size}` "
        f"({minutes:.1f} minutes), on {machine()}.",
        "Each figure is set against a baseline measured in the same run: the ratio is what "
        "carries from one machine to another.",
    ]
    for title, rows in sections:
        text += ["", f"## {title}", "", table(rows)]
    previous = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    if KEPT_HEADING in previous:
        text += ["", KEPT_HEADING + previous.split(KEPT_HEADING, 1)[1].rstrip("\n")]
    args.output.write_text("\n".join(text) + "\n", encoding="utf-8")
    print("\n".join(text))


if __name__ == "__main__":
    main()
