"""`flask` command groups: users, lessons, reports, privacy and translations (`flask db` is
Flask-Migrate's)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.content import check_course, load_register
from app.content.loader import course_default_language
from app.content.problems import ContentError, Level
from app.extensions import content, db
from app.models import Role
from app.services import accounts, authoring, privacy, reports
from config import Config

users = AppGroup("users", help="Create and manage accounts.")
translate = AppGroup("translate", help="Extract, update and compile the interface catalogues.")
privacy_group = AppGroup("privacy", help="Retention purge and privacy requests.")
reports_group = AppGroup("reports", help="Progress reports for admins and funders.")

ROLE_CHOICE = click.Choice([role.value for role in Role])


def _existing_user(email: str):
    user = accounts.find_user(db.session, email)
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    return user


@users.command("create")
@click.argument("email")
@click.option("--role", type=ROLE_CHOICE, default=Role.LEARNER.value, show_default=True)
@click.option("--name", "display_name", help="Display name (default: the part before @).")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of prompting.",
)
def create_user(email: str, role: str, display_name: str | None, password_stdin: bool) -> None:
    """Create an account, e.g. `users create ana@example.org --role admin --password-stdin`."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < accounts.MIN_PASSWORD_LENGTH:
        raise click.ClickException(
            f"the password needs at least {accounts.MIN_PASSWORD_LENGTH} characters"
        )
    try:
        user = accounts.create_user(
            db.session,
            email=email,
            password=password,
            display_name=display_name or email.split("@", 1)[0],
            role=Role(role),
        )
    except accounts.EmailTaken:
        raise click.ClickException(f"a user with email {email} already exists") from None
    click.echo(f"created {user.email} ({user.role.value})")


@users.command("list")
def list_users() -> None:
    """List every account: email, role, display name."""
    for user in accounts.list_users(db.session):
        state = "" if user.is_active else " (inactive)"
        click.echo(f"{user.email}\t{user.role.value}\t{user.display_name}{state}")


@users.command("set-role")
@click.argument("email")
@click.argument("role", type=ROLE_CHOICE)
def set_role(email: str, role: str) -> None:
    """Change the role of an account."""
    user = _existing_user(email)
    accounts.set_role(db.session, user, Role(role))
    click.echo(f"{user.email} is now {role}")


@privacy_group.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what is past its retention; change nothing.")
def privacy_purge(dry_run: bool) -> None:
    """Delete or anonymise what is past its retention period in the data register.
    Idempotent and safe to run from cron."""
    counts = privacy.purge(db.session, content.register, dry_run=dry_run)
    verb = "would purge" if dry_run else "purged"
    for category, count in counts.items():
        click.echo(f"{category}: {verb} {count}")


@privacy_group.command("export")
@click.argument("email")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-", show_default=True)
def privacy_export(email: str, output) -> None:
    """Write everything stored about a learner as JSON (for a request received by email)."""
    user = _existing_user(email)
    data = privacy.export_data(
        db.session, content.register, user.id, content.course.default_language
    )
    privacy.record_audit(db.session, None, "export", privacy.user_ref(user.id))
    json.dump(data, output, ensure_ascii=False, indent=2)
    output.write("\n")


@privacy_group.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def privacy_erase(email: str, yes: bool) -> None:
    """Erase a learner's account and everything stored about them."""
    user = _existing_user(email)
    if not yes:
        click.confirm(f"Erase user #{user.id} and all their data?", abort=True)
    user_id = user.id
    privacy.erase_account(db.session, content.register, user_id)
    privacy.record_audit(db.session, None, "erase", privacy.user_ref(user_id))
    click.echo(f"erased user #{user_id}")


@reports_group.command("export")
@click.option("--format", "output", type=click.Choice(["csv", "xlsx", "json"]), default="csv")
@click.option("--output", "target", type=click.Path(dir_okay=False), help="Default: stdout.")
@click.option("--summary", is_flag=True, help="One row per learner instead of per lesson.")
@click.option("--language")
@click.option("--role", type=ROLE_CHOICE)
@click.option("--registered-from", help="YYYY-MM-DD")
@click.option("--registered-to", help="YYYY-MM-DD")
@click.option("--pseudonymise", is_flag=True, help="Pseudonyms instead of ids, emails, names.")
@click.option("--bom", is_flag=True, help="Start a CSV with the byte order mark Excel wants.")
def reports_export(output, target, summary, pseudonymise, bom, **filter_options) -> None:
    """Export the progress report (or the summary) as the admin pages do."""
    args = {name: value for name, value in filter_options.items() if value}
    try:
        filters = reports.ReportFilters.parse(args, content.course.languages)
    except reports.InvalidFilter as invalid:
        raise click.BadParameter(f"not a valid value for {invalid.field}") from None
    export = reports.ReportExport(
        "summary" if summary else "progress", output, filters, pseudonymise, bom
    )
    rows = export.rows(db.session, content.course)
    if target and sys.stderr.isatty():
        per_learner = 1 if summary else max(len(content.course.published_lessons), 1)
        total = reports.learner_count(db.session, filters) * per_learner
        rows = _with_progress_bar(rows, total)
    with click.open_file(target or "-", "wb") as file:
        for chunk in export.chunks(rows):
            file.write(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8"))
    export.record(db.session, None)
    if target:
        click.echo(f"{export.rows_written} rows written to {target}", err=True)


def _with_progress_bar(rows, total: int):
    with click.progressbar(length=total, label="Exporting", file=sys.stderr) as bar:
        for row in rows:
            bar.update(1)
            yield row


@click.group("lessons")
def lessons() -> None:
    """Check the lessons and their translations, without a server or a database."""


def _lessons_dir(directory: str | None) -> Path:
    return Path(directory or Config.LESSONS_DIR)


@lessons.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def lessons_check(directory: str | None, output: str, strict: bool) -> None:
    """Check DIRECTORY (default: LESSONS_DIR): one line per problem, as
    path:line:column: level: message. Exits 1 when there are errors."""
    folder = _lessons_dir(directory)
    if not (folder / "course.yml").exists() and not folder.is_dir():
        raise click.ClickException(f"{folder} is not a lessons directory")
    _course, problems = check_course(folder, load_register(Config.DATA_REGISTER))
    if strict:
        problems = [replace(problem, level=Level.ERROR) for problem in problems]
    errors = sum(1 for problem in problems if problem.level is Level.ERROR)
    if output == "json":
        click.echo(json.dumps([problem.as_dict() for problem in problems], indent=2))
    else:
        for problem in problems:
            click.echo(str(problem))
        warnings = len(problems) - errors
        click.echo(
            f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
        )
    sys.exit(1 if errors else 0)


@lessons.command("status")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text")
def lessons_status(directory: str | None, output: str) -> None:
    """Translation status: lesson by language (present, missing, stale, unstamped, draft),
    and how complete each interface catalogue is."""
    course, problems = check_course(_lessons_dir(directory), load_register(Config.DATA_REGISTER))
    if course is None:
        if output == "json":
            # Whoever reads the JSON gets JSON, errors included.
            click.echo(json.dumps({"problems": [str(problem) for problem in problems]}, indent=2))
        else:
            for problem in problems:
                click.echo(str(problem), err=True)
        sys.exit(1)
    matrix = authoring.translation_matrix(course)
    report = {
        "lessons": [
            {
                "number": lesson.number,
                "slug": lesson.slug,
                "languages": {
                    language: {"state": state.value} for language, state in states.items()
                },
            }
            for lesson, states in matrix
        ],
        "interface": authoring.catalogue_completeness(
            Path(Config.TRANSLATIONS_DIR), course.languages
        ),
    }
    if output == "json":
        click.echo(json.dumps(report, indent=2))
        return
    for row in report["lessons"]:
        states = "  ".join(f"{lang}: {cell['state']}" for lang, cell in row["languages"].items())
        click.echo(f"{row['number']:02d}-{row['slug']}  {states}")
    for lesson, states in matrix:
        source = lesson.texts[lesson.default_language].source_path.name
        for language, state in states.items():
            if state is authoring.TranslationState.UNSTAMPED:
                path = lesson.texts[language].source_path
                click.echo(
                    f"{path}: unstamped: run `flask --app app lessons stamp {path}` once it "
                    f"matches {source}"
                )
    click.echo(
        "interface: "
        + "  ".join(f"{lang}: {percent}%" for lang, percent in report["interface"].items())
    )


@lessons.command("stamp")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def lessons_stamp(files: tuple[str, ...]) -> None:
    """Mark translations as up to date with their lesson's default-language file, once you
    have brought them up to date: records `translated_from: <lang>@<hash>`."""
    for name in files:
        path = Path(name)
        folder = path.resolve().parent
        try:
            source = folder / f"{course_default_language(folder.parent)}.md"
            if path.resolve() == source.resolve():
                raise click.ClickException(f"{path} is the source; stamp its translations")
            stamp = authoring.stamp_translation(path, source)
        except ContentError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"{path}: {stamp}")


def _pybabel(*arguments: str) -> None:
    root = Path(current_app.config["TRANSLATIONS_DIR"]).parent
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", *arguments], check=True, cwd=root
    )


@translate.command("update")
def translate_update() -> None:
    """Extract the interface strings from app/ and merge them into the es and pt catalogues."""
    template = "translations/messages.pot"
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-o", template, "app")
    _pybabel("update", "-i", template, "-d", "translations", "--no-fuzzy-matching")


@translate.command("compile")
def translate_compile() -> None:
    """Compile the catalogues (.po to .mo) so the app can serve them."""
    _pybabel("compile", "-d", "translations")


def register_commands(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(translate)
    app.cli.add_command(privacy_group)
    app.cli.add_command(reports_group)
