"""`flask` command groups: users, privacy and translations (`flask db` is Flask-Migrate's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.extensions import content, db
from app.models import Role
from app.services import accounts, privacy

users = AppGroup("users", help="Create and manage accounts.")
translate = AppGroup("translate", help="Extract, update and compile the interface catalogues.")
privacy_group = AppGroup("privacy", help="Retention purge and privacy requests.")

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
    privacy.record_audit(db.session, None, "export", user.id)
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
    privacy.record_audit(db.session, None, "erase", user_id)
    click.echo(f"erased user #{user_id}")


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
