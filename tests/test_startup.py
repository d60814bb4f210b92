"""What start-up leaves behind for serving."""

from __future__ import annotations

import subprocess
import sys

from config import ROOT
from tests.web.servers import app_environment


def test_the_garbage_collector_runs_again_once_the_app_is_made(tmp_path):
    """Start-up turns the cyclic garbage collector off while it makes the app: a server that
    left it off would never free a request's cycles. What start-up made is set apart from
    its rounds (frozen), once."""
    env = app_environment(
        tmp_path / "instance", DATABASE_URL=f"sqlite:///{tmp_path / 'aula.db'}", AUTO_MIGRATE="1"
    )
    start = (
        "import gc; from app import create_app; create_app(); frozen = gc.get_freeze_count(); "
        "create_app(); print(gc.isenabled(), frozen > 100_000, gc.get_freeze_count() <= frozen)"
    )
    started = subprocess.run(
        [sys.executable, "-c", start], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == ["True", "True", "True"]


def test_a_start_refused_for_its_lessons_leaves_the_garbage_collector_on(tmp_path):
    """An app made in a process that goes on (a test, a command) after a start refused."""
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "01-broken").mkdir()
    (lessons / "01-broken" / "en.md").write_text("no front matter\n", encoding="utf-8")
    env = app_environment(
        tmp_path / "instance",
        DATABASE_URL=f"sqlite:///{tmp_path / 'aula.db'}",
        LESSONS_DIR=str(lessons),
    )
    start = (
        "import gc\nfrom app import create_app\ntry:\n    create_app()\n"
        "except SystemExit:\n    print(gc.isenabled())"
    )
    started = subprocess.run(
        [sys.executable, "-c", start], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert started.stdout.split() == ["True"], started.stderr
