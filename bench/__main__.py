"""Run every benchmark and write the results: `python -m bench` (see bench/README.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import sqlite3
import sys
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


def _postgres_databases(prefix: str, size: str) -> tuple[str, ...]:
    return tuple(f"{prefix}_{part}{size}" for part in ("", "writes_", "site_", "quiz_"))


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
            site_url = fresh_postgres(args.postgres, f"{args.prefix}_site_{args.size}")
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


def _timer():
    """Says on stderr how long each part took, as the run goes."""
    last = [time.perf_counter()]

    def timed(part: str) -> None:
        now = time.perf_counter()
        print(f"{part}: {now - last[0]:.0f} s", file=sys.stderr, flush=True)
        last[0] = now

    return timed


# Under each section's heading, what its baseline is, in a sentence.
BASELINES = {
    "Start-up": "Baselines: a new process importing a bare Flask app, until ready; gunicorn, "
    "started the same way, serving the bare app until it answers; for the loader, the "
    "15-lesson course's time per file, scaled.",
    "Signed-in pages, many learners": "Baseline: a bare Flask app under the same gunicorn "
    "settings serving the app's own page, byte for byte, from memory, loaded by the same wrk "
    "script sending the same learners' cookies in turn (and counting Age headers, which the "
    "bare app never sends: the last row is what that counting costs wrk).",
    "Anonymous lesson page": "Baseline: the bare Flask app serving the same anonymous page "
    "from memory, under the same gunicorn settings, to requests carrying the same cookie.",
    "Quiz answers": "Baseline: the bare Flask app storing, for as many learners once each, "
    "the rows the app stores for a passed first attempt (the attempt, its answers, the "
    "lesson's progress completed), one statement per table, in the same database.",
    "Seeding": "No baseline: how long the bulk loads took.",
    "Progress export": "Baseline: the same rows, times written as the app writes them (ISO "
    "8601 UTC), exported by the database itself, `sqlite3 -csv` or `psql \\copy`, taken in "
    "turn with the app's export; for XLSX, the app's own CSV export.",
    "Admin dashboard": "Baseline: the course page, made each time rather than served kept, "
    "in the same process.",
    "Concurrent writes": "Baseline: the bare Flask app doing one INSERT per request, for as "
    "many clients for as long.",
    "Courses and cohorts: admin and trainer pages": "Baseline: a course page, made each time "
    "rather than served kept, in the same process.",
    "Courses and cohorts: lesson page throughput": "Baseline: the bare Flask app serving the "
    "same bytes from memory under the same gunicorn settings; signed in as one learner, "
    "whose cookie is sent again and again.",
    "Courses and cohorts: cohort export": "Baseline: the same rows exported by `sqlite3 -csv` "
    "or `psql \\copy`; memory is set against the smallest cohort's export.",
}

# What `--only` can choose; every part by default.
PARTS = ("startup", "pages", "quiz", "export", "dashboard", "writes", "site")


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
    parser.add_argument(
        "--prefix",
        default=os.environ.get("BENCH_DATABASE_PREFIX", "aula_bench"),
        help="the start of the names of the databases the run creates on that server",
    )
    parser.add_argument(
        "--only",
        type=lambda text: text.split(","),
        default=list(PARTS),
        help=f"the parts to run, separated by commas, of: {', '.join(PARTS)} (all by default)",
    )
    args = parser.parse_args()
    if unknown := set(args.only) - set(PARTS):
        parser.error(f"--only: no such part {', '.join(sorted(unknown))}")
    only = set(args.only)
    timed = _timer()
    sizes = measures.SIZES[args.size]
    work = Path(tempfile.mkdtemp(prefix="aula-bench-"))
    began = time.perf_counter()
    sections: list[tuple[str, list[list[str]]]] = []
    databases: list[str] = []
    try:
        if "startup" in only:
            sections.append(("Start-up", measures.startup(work, sizes)))
            timed("startup")
        if "pages" in only:
            signed_in, anonymous = measures.learner_pages(work, sizes)
            sections.append(("Signed-in pages, many learners", signed_in))
            sections.append(("Anonymous lesson page", anonymous))
            timed("pages")
        course = write_course(work / "course", 15)
        databases.append(f"sqlite:///{work / 'seeded.db'}")
        if args.postgres and (url := fresh_postgres(args.postgres, f"{args.prefix}_{args.size}")):
            databases.append(url)
        seeding, export_rows, dashboard_rows, write_rows, quiz_rows = [], [], [], [], []
        for database_url in databases:
            backend = sa.make_url(database_url).get_backend_name()
            if "quiz" in only:
                quiz_url = (
                    f"sqlite:///{work / 'quiz.db'}"
                    if backend == "sqlite"
                    else fresh_postgres(args.postgres, f"{args.prefix}_quiz_{args.size}")
                )
                quiz_rows += measures.quiz_answers(work, quiz_url, sizes)
                timed(f"quiz, {backend}")
            if only & {"export", "dashboard"}:
                app = bench_app(database_url, course, work / f"seed-{backend}-instance")
                seeded = seed(app, sizes.learners)
                seeding.append(
                    [
                        f"{backend}: seed {seeded.learners:,} learners × 15 lessons",
                        f"{seeded.progress_rows:,} progress rows, "
                        f"{seeded.attempts:,} quiz attempts in {seeded.seconds:.1f} s",
                        "",
                        "",
                    ]
                )
                if "export" in only:
                    export_rows += measures.exports(work, database_url, course, seeded, sizes)
                if "dashboard" in only:
                    dashboard_rows += measures.dashboard(work, database_url, course, seeded)
                timed(f"seeding, export and dashboard, {backend}")
            if "writes" in only:
                writes_url = (
                    f"sqlite:///{work / 'writes.db'}"
                    if backend == "sqlite"
                    else fresh_postgres(args.postgres, f"{args.prefix}_writes_{args.size}")
                )
                write_rows += measures.writes(work, writes_url, course, sizes)
                timed(f"writes, {backend}")
        site_rows = measure_site(work, args, sizes, databases, seeding) if "site" in only else []
        timed("site")
        sections += [
            ("Seeding", seeding),
            ("Quiz answers", quiz_rows),
            ("Progress export", export_rows),
            ("Admin dashboard", dashboard_rows),
            ("Concurrent writes", write_rows),
            *site_rows,
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
        # The seeded databases are large: nothing of the run is left on the server.
        if any(sa.make_url(url).get_backend_name() == "postgresql" for url in databases):
            for name in _postgres_databases(args.prefix, args.size):
                _on_server(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    minutes = (time.perf_counter() - began) / 60
    parts = "" if only == set(PARTS) else f" --only {','.join(p for p in PARTS if p in only)}"
    text = [
        "# Benchmark results",
        "",
        f"Run on {dt.date.today().isoformat()} with `python -m bench --size {args.size}{parts}` "
        f"({minutes:.1f} minutes), on {machine()}.",
        "Each figure is set against a baseline measured in the same run: the ratio is what "
        "carries from one machine to another.",
    ]
    for title, rows in sections:
        if rows:
            text += ["", f"## {title}", "", BASELINES[title], "", table(rows)]
    previous = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    if KEPT_HEADING in previous:
        text += ["", KEPT_HEADING + previous.split(KEPT_HEADING, 1)[1].rstrip("\n")]
    args.output.write_text("\n".join(text) + "\n", encoding="utf-8")
    print("\n".join(text))


if __name__ == "__main__":
    main()
