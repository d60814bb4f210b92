"""The benchmark cannot rot: it runs end to end at tiny sizes, every measure reported."""

from __future__ import annotations

import re
import subprocess
import sys

import sqlalchemy as sa

from bench.__main__ import BASELINES, KEPT_HEADING
from bench.lighthouse.__main__ import PAGES, Result, first_view_kb
from config import ROOT
from tests.conftest import POSTGRES_URL, report

SECTIONS = (
    "Start-up",
    "Signed-in pages, many learners",
    "Anonymous lesson page",
    "Quiz answers",
    "Progress export",
    "Admin dashboard",
    "Courses and cohorts: admin and trainer pages",
    "Courses and cohorts: lesson page throughput",
    "Courses and cohorts: cohort export",
)


def test_the_benchmark_runs_at_smoke_size_and_reports_every_measure(tmp_path, request):
    output = tmp_path / "RESULTS.md"
    output.write_text(f"# Old figures\n\n{KEPT_HEADING}\n\nWhat we changed.\n", "utf-8")
    database = sa.make_url(POSTGRES_URL).database if POSTGRES_URL else "aula"
    command = [sys.executable, "-m", "bench", "--size", "smoke", "--output", str(output)]
    finished = subprocess.run(
        # Databases of the run named after the test's own, apart from any other run's.
        [*command, "--postgres", POSTGRES_URL or "", "--prefix", f"{database}_bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stderr
    results = output.read_text(encoding="utf-8")
    assert "# Old figures" not in results
    assert results.endswith(f"{KEPT_HEADING}\n\nWhat we changed.\n"), "kept below the figures"
    for section in (*SECTIONS, "Concurrent writes"):
        assert f"\n## {section}\n\n{BASELINES[section]}\n" in results, "says its baseline"
    assert "| start-up in production: gunicorn, 2 workers, migrations checked" in results
    for page in ("lesson 1 page", "course page"):
        for kept in ("kept pages on", "kept pages off (KEPT_LEARNER_PAGES=0)"):
            line = re.search(
                rf"\| {page}, signed in, (\d+) learners taking turns, {re.escape(kept)}.*", results
            )
            assert line and int(line.group(1)) > 1, (page, kept)
            assert " 0 errors; " in line.group(0) and "× |" in line.group(0), line.group(0)
        assert f"| {page}, signed in, one learner's cookie again and again (extra line)" in results
    for who in ("no cookie", "an unrelated cookie (_ga)", "opened the sign-in page"):
        assert re.search(
            rf"\| lesson 1 page, anonymous, [^|]*{re.escape(who)}.* 0 errors \|", results
        ), who
    backends = ("sqlite", "postgresql") if POSTGRES_URL else ("sqlite",)
    for backend in backends:
        quiz = re.search(rf"\| {backend}: quiz answers, (\d+) learners each once.*", results)
        assert quiz and f" 0 errors ({quiz.group(1)} attempts stored" in quiz.group(0), quiz
        for variant in ("unfiltered", "language es", "role learner", "course, in no cohort"):
            assert f"| {backend}: admin dashboard, {variant}" in results, variant
        assert f"| {backend}: progress CSV, all learners" in results
        assert f"| {backend}: admin dashboard, one cohort, language es" in results
        assert f"| {backend}: trainer's cohort page, the largest cohort" in results
        assert f"| {backend}: peak memory, the largest cohort against the smallest" in results
        writes = re.search(rf"\| {backend}: 5 learners completing lessons.*", results).group(0)
        assert " 0 errors in " in writes, writes
    ratios = re.findall(r"\| (\d+\.\d+)× \|", results)
    assert len(ratios) >= 10 and all(float(ratio) > 0 for ratio in ratios)
    report(request, f"{len(ratios)} ratios against same-run baselines")


def test_the_lighthouse_run_weighs_the_first_view_without_pictures_and_judges_seo_on_public_pages():
    requests = [
        {"resourceType": "Document", "mimeType": "text/html", "transferSize": 40 * 1024},
        {"resourceType": "Stylesheet", "mimeType": "text/css", "transferSize": 21 * 1024},
        {"resourceType": "Image", "mimeType": "image/png", "transferSize": 500 * 1024},
        {"resourceType": "Other", "mimeType": "image/svg+xml", "transferSize": 1024},
    ]
    weight = first_view_kb({"audits": {"network-requests": {"details": {"items": requests}}}})
    assert weight == 61
    public, private = PAGES[0], next(page for page in PAGES if not page.public)
    scores = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 60}
    for page, missed in ((public, ["SEO 60", "61.0 KB"]), (private, ["61.0 KB"])):
        assert Result(page, "dark", scores, 0.01, weight, []).misses() == missed
    assert Result(private, "light", scores, 0.02, 60, []).misses() == ["CLS 0.020"]
