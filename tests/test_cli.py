"""The `flask` commands admins use on the server."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.extensions import db
from app.models import Role
from app.services import accounts, credentials
from config import ROOT
from tests.conftest import make_app
from tests.content.conftest import LessonsDir
from tests.services.test_passwords import SENTENCE, common_password


def test_create_an_admin_non_interactively_then_list_and_change_role(app):
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=["users", "create", "Admin@Example.org", "--role", "admin", "--password-stdin"],
        input="a strong passphrase\n",
    )
    assert created.exit_code == 0, created.output
    assert "created admin@example.org (admin)" in created.output

    listed = runner.invoke(args=["users", "list"])
    assert listed.output.splitlines() == ["admin@example.org\tadmin\tAdmin"]

    changed = runner.invoke(args=["users", "set-role", "admin@example.org", "trainer"])
    assert changed.exit_code == 0
    with app.app_context():
        user = accounts.authenticate(db.session, "admin@example.org", "a strong passphrase")
        assert user is not None and user.role is Role.TRAINER


def test_cli_errors_are_clear(app):
    runner = app.test_cli_runner()
    short = runner.invoke(
        args=["users", "create", "a@example.org", "--password-stdin"], input="x\n"
    )
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    missing = runner.invoke(args=["users", "set-role", "nobody@example.org", "admin"])
    assert missing.exit_code == 1 and "no user with email nobody@example.org" in missing.output
    runner.invoke(
        args=["users", "create", "a@example.org", "--password-stdin"], input="a passphrase"
    )
    twice = runner.invoke(
        args=["users", "create", "a@example.org", "--password-stdin"], input="another passphrase"
    )
    assert twice.exit_code == 1 and "already exists" in twice.output


def test_rotating_the_signing_key_prints_the_new_one_and_keeps_the_old_published(app):
    with app.app_context():
        old = credentials.current_key(db.session, app.secret_key).kid
    rotated = app.test_cli_runner().invoke(args=["certificates", "rotate-key"])
    assert rotated.exit_code == 0, rotated.output
    with app.app_context():
        new = credentials.current_key(db.session, app.secret_key).kid
        published = [key["kid"] for key in credentials.public_key_set(db.session)["keys"]]
    assert rotated.output == f"new signing key: {new}\n"
    assert new != old and published == [new, old]


@pytest.mark.parametrize(
    ("name", "password", "refusal"),
    [
        ([], "a passphras", "the password needs at least 12 characters"),
        ([], SENTENCE[:129], "the password can have at most 128 characters"),
        ([], common_password(), "the password is one of the most used, and easily guessed"),
        ([], "ana.garcia@example.org", "the password is built from the account's email or name"),
        (["--name", "Beatriz Fonseca"], "BeatrizFonseca1", "built from the account's email"),
        ([], "p@ssw0rd1234", "the password follows a pattern that is easy to guess"),
    ],
)
def test_create_applies_the_sign_up_password_rule(app, name, password, refusal):
    runner = app.test_cli_runner()
    refused = runner.invoke(
        args=["users", "create", "ana.garcia@example.org", *name, "--password-stdin"],
        input=password + "\n",
    )
    assert refused.exit_code == 1 and refusal in refused.output
    assert runner.invoke(args=["users", "list"]).output == ""
    spaced = runner.invoke(
        args=["users", "create", "ana.garcia@example.org", *name, "--password-stdin"],
        input=" pássaro azul na janela velha \n",
    )
    assert spaced.exit_code == 0, spaced.output
    with app.app_context():
        assert accounts.authenticate(
            db.session, "ana.garcia@example.org", " pássaro azul na janela velha "
        )


def test_admin_commands_answer_in_the_terminals_language(app, monkeypatch):
    monkeypatch.setenv("LANGUAGE", "pt")
    runner = app.test_cli_runner()
    short = runner.invoke(
        args=["users", "create", "a@example.org", "--password-stdin"], input="x\n"
    )
    assert short.exit_code == 1
    assert "a palavra-passe precisa de pelo menos 12 caracteres" in short.output
    created = runner.invoke(
        args=["users", "create", "a@example.org", "--password-stdin"], input="a passphrase"
    )
    assert "criada a conta a@example.org (learner)" in created.output
    missing = runner.invoke(args=["privacy", "erase", "nobody@example.org", "--yes"])
    assert "não há nenhum utilizador com o email nobody@example.org" in missing.output
    bad = runner.invoke(args=["reports", "export", "--registered-from", "soon"])
    assert bad.exit_code == 2 and "não é um valor válido para --registered-from" in bad.output


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("en", "create    Create an account."),
        ("es", "create    Crea una cuenta."),
        ("pt", "create    Cria uma conta."),
    ],
)
def test_the_list_of_commands_says_what_each_does_in_full(language, line):
    """Click ends a command's line in the list at its help's first ". ", as it did after
    "e.g." once."""
    listed = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "users", "--help"],
        cwd=ROOT,
        env={**os.environ, "LANGUAGE": language},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert line in [entry.strip() for entry in listed.stdout.splitlines()]


def _flask(*arguments: str, lessons: Path, instance: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *arguments],
        cwd=ROOT,
        env={
            **os.environ,
            "LANGUAGE": "en",
            "LESSONS_DIR": str(lessons),
            "INSTANCE_PATH": str(instance),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_command_about_accounts_prints_no_lesson_warnings_and_the_check_does(tmp_path):
    lessons = LessonsDir(tmp_path / "lessons")
    lessons.lesson("01-first", languages=("es", "pt"))
    untranslated = lessons.root / "01-first" / "en.md"

    helped = _flask("users", "create", "--help", lessons=lessons.root, instance=tmp_path / "i")
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith("Usage: python -m flask users create")
    assert "warning" not in helped.stdout + helped.stderr

    checked = _flask("lessons", "check", lessons=lessons.root, instance=tmp_path / "i")
    assert checked.returncode == 0, checked.stderr
    assert f"{untranslated}:1:1: warning: missing translation: en.md" in checked.stdout


def test_the_server_logs_one_line_for_the_lessons_warnings_not_each(tmp_path, caplog):
    lessons = LessonsDir(tmp_path / "lessons")
    lessons.lesson("01-first", languages=("es",))
    lessons.lesson("02-second", languages=("es",))
    with caplog.at_level(logging.WARNING, logger="app"):
        make_app(f"sqlite:///{tmp_path / 'aula.db'}", tmp_path / "i", LESSONS_DIR=lessons.root)
    assert [record.getMessage() for record in caplog.records] == [
        f"4 warnings in the lessons of {lessons.root}: run `flask --app app lessons check` "
        "to read them"
    ]
