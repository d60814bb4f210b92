"""`flask` command groups: users, lessons, reports, privacy, certificates and translations
(`flask db` is Flask-Migrate's). What they print is in the terminal's language
(`app.terminal`), click's own words ("Usage:", "Aborted!") included; Flask's own commands keep
their English help."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.content import check_catalogue, check_course, load_register
from app.content.loader import (
    course_default_language,
    course_folder,
    declared_courses,
    read_text,
    site_of,
)
from app.content.problems import LEVEL_WORDS, ContentError, Level, Problem, Problems
from app.extensions import content, db
from app.models import Role
from app.services import (
    accounts,
    authoring,
    credentials,
    outbox,
    passwords,
    privacy,
    reports,
)
from app.terminal import described, ngettext, speak_for_click
from app.terminal import gettext as _
from config import Config

# Before any command is made: `flask lessons` is loaded without the app (see pyproject.toml).
speak_for_click()

users = AppGroup("users", help=_("Create and manage accounts."))
translate = AppGroup("translate", help=_("Extract, update and compile the interface catalogues."))
privacy_group = AppGroup("privacy", help=_("Retention purge and privacy requests."))
reports_group = AppGroup("reports", help=_("Progress reports for admins and funders."))
certificates_group = AppGroup(
    "certificates", help=_("Certificates: the keys that sign their Open Badges credentials.")
)
outbox_group = AppGroup(
    "outbox", help=_("Messages for outside services: send them, and see what is waiting.")
)

ROLE_CHOICE = click.Choice([role.value for role in Role])


class CommandError(click.ClickException):
    """A command's refusal, wholly in the terminal's language: click would put its English
    "Error:" before it."""

    @classmethod
    def saying(cls, message: str) -> CommandError:
        return cls(f"{_(LEVEL_WORDS[Level.ERROR])}: {message}")

    def show(self, file=None) -> None:
        click.echo(self.format_message(), err=True)


class UnusableFile(CommandError):
    """A file given to a command that cannot be read or written: status 2, as for a
    mistyped command, apart from the 1 of what a file's contents lack."""

    exit_code = 2


def _existing_user(email: str):
    user = accounts.find_user(db.session, email)
    if user is None:
        raise CommandError.saying(_("no user with email %(email)s", email=email))
    return user


def _password_refusal(problem: passwords.PasswordProblem) -> str:
    """Why a password is refused, for the admin choosing it for someone."""
    if problem is passwords.PasswordProblem.TOO_SHORT:
        return ngettext(
            "the password needs at least %(num)d character",
            "the password needs at least %(num)d characters",
            passwords.MIN_PASSWORD_LENGTH,
        )
    if problem is passwords.PasswordProblem.TOO_LONG:
        return ngettext(
            "the password can have at most %(num)d character",
            "the password can have at most %(num)d characters",
            passwords.MAX_PASSWORD_LENGTH,
        )
    return {
        passwords.PasswordProblem.COMMON: _(
            "the password is one of the most used, and easily guessed: choose another"
        ),
        passwords.PasswordProblem.PERSONAL: _(
            "the password is built from the account's email or name: leave them out"
        ),
        passwords.PasswordProblem.PREDICTABLE: _(
            "the password follows a pattern that is easy to guess (repeated letters, a"
            " sequence, a common word): a few unrelated words make a strong one"
        ),
    }[problem]


@users.command(
    "create",
    # The first sentence is the command's line in `users --help`: it ends at the first ". ".
    help=_(
        "Create an account. For example: "
        "`users create ana@example.org --role admin --password-stdin`."
    ),
)
@click.argument("email")
@click.option("--role", type=ROLE_CHOICE, default=Role.LEARNER.value, show_default=True)
@click.option("--name", "display_name", help=_("Display name (default: the part before @)."))
@click.option(
    "--password-stdin",
    is_flag=True,
    help=_("Read the password from standard input instead of prompting."),
)
def create_user(email: str, role: str, display_name: str | None, password_stdin: bool) -> None:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
    display_name = display_name or email.split("@", 1)[0]
    problem = passwords.password_problem(password, email=email, name=display_name)
    if problem is not None:
        raise CommandError.saying(_password_refusal(problem))
    try:
        user = accounts.create_user(
            db.session,
            email=email,
            password=password,
            display_name=display_name,
            role=Role(role),
        )
    except accounts.EmailTaken:
        raise CommandError.saying(
            _("a user with email %(email)s already exists", email=email)
        ) from None
    privacy.record_audit(db.session, None, "create", privacy.user_ref(user.id), {"role": role})
    click.echo(_("created %(email)s (%(role)s)", email=user.email, role=user.role.value))


@users.command("list", help=_("List every account: email, role, display name."))
def list_users() -> None:
    for user in accounts.list_users(db.session):
        state = "" if user.is_active else " " + _("(inactive)")
        click.echo(f"{user.email}\t{user.role.value}\t{user.display_name}{state}")


@users.command("set-role", help=_("Change the role of an account."))
@click.argument("email")
@click.argument("role", type=ROLE_CHOICE)
def set_role(email: str, role: str) -> None:
    user = _existing_user(email)
    accounts.set_role(db.session, user, Role(role))
    privacy.record_audit(db.session, None, "role", privacy.user_ref(user.id), {"role": role})
    click.echo(_("%(email)s is now %(role)s", email=user.email, role=role))


@privacy_group.command(
    "purge",
    help=_(
        "Delete or anonymise what is past its retention period in the data register."
        " Idempotent and safe to run from cron."
    ),
)
@click.option(
    "--dry-run", is_flag=True, help=_("Count what is past its retention; change nothing.")
)
def privacy_purge(dry_run: bool) -> None:
    counts = privacy.purge(db.session, content.register, dry_run=dry_run)
    for category, count in counts.items():
        if dry_run:
            click.echo(_("%(category)s: would purge %(count)d", category=category, count=count))
        else:
            click.echo(_("%(category)s: purged %(count)d", category=category, count=count))


@privacy_group.command(
    "export",
    help=_("Write everything stored about a learner as JSON (for a request received by email)."),
)
@click.argument("email")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-", show_default=True)
def privacy_export(email: str, output) -> None:
    user = _existing_user(email)
    data = privacy.export_for_request(
        db.session, content.register, user.id, privacy.language_of(user, content.course)
    )
    privacy.record_audit(db.session, None, "export", privacy.user_ref(user.id))
    json.dump(data, output, ensure_ascii=False, indent=2)
    output.write("\n")


@privacy_group.command(
    "erase", help=_("Erase a learner's account and everything stored about them.")
)
@click.argument("email")
@click.option("--yes", is_flag=True, help=_("Do not ask for confirmation."))
def privacy_erase(email: str, yes: bool) -> None:
    user = _existing_user(email)
    if not yes:
        click.confirm(_("Erase user #%(id)d and all their data?", id=user.id), abort=True)
    user_id = user.id
    privacy.erase_account(db.session, content.register, user_id)
    privacy.record_audit(db.session, None, "erase", privacy.user_ref(user_id))
    click.echo(_("erased user #%(id)d", id=user_id))


@privacy_group.command(
    "erasures",
    help=_(
        "List the account numbers erased since a date, one per line: keep the list apart from"
        " the backups, to erase them again if a backup is ever restored."
    ),
)
@click.option(
    "--since",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help=_("The first day to list (YYYY-MM-DD, UTC): that of the oldest backup kept."),
)
def privacy_erasures(since: dt.datetime) -> None:
    for user_id in privacy.erased_since(db.session, since.replace(tzinfo=dt.UTC)):
        click.echo(user_id)


# Account numbers are a database's 64-bit integers: a longer line is no account number.
LONGEST_ACCOUNT_NUMBER = 18


def _account_numbers(raw: bytes) -> list[int]:
    """The account numbers of a listing, one a line: UTF-8 as `flask privacy erasures`
    writes it, or UTF-16 with its byte-order mark, as some Windows shells save it."""
    try:
        text = (
            raw.decode("utf-16")
            if raw[:2] in (b"\xff\xfe", b"\xfe\xff")
            else raw.decode("utf-8-sig")
        )
    except UnicodeDecodeError:
        raise CommandError.saying(
            _("The listing is not text: save it as UTF-8, as `flask privacy erasures` writes it.")
        ) from None
    numbers = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        number = line.strip()
        if not number:
            continue
        if not (number.isascii() and number.isdigit()) or len(number) > LONGEST_ACCOUNT_NUMBER:
            raise CommandError.saying(
                _("Line %(line)d is not an account number: %(text)s", line=line_number, text=number)
            )
        numbers.append(int(number))
    return numbers


@privacy_group.command(
    "erase-again",
    help=_(
        "After restoring a backup: erase again the accounts listed by `flask privacy"
        " erasures` that the backup brought back."
    ),
)
@click.argument("listing", type=click.File("rb"))
@click.option("--yes", is_flag=True, help=_("Do not ask for confirmation."))
def privacy_erase_again(listing, yes: bool) -> None:
    numbers = _account_numbers(listing.read())
    present = privacy.accounts_present(db.session, numbers)
    if not present:
        click.echo(_("None of these accounts is here: nothing to erase."))
        return
    if not yes:
        listed = ", ".join(f"#{number}" for number in present)
        click.confirm(
            _("Erase again these accounts and all their data: %(accounts)s?", accounts=listed),
            abort=True,
        )
    erased = privacy.erase_again(db.session, content.register, present)
    click.echo(
        ngettext("%(num)d account erased again.", "%(num)d accounts erased again.", len(erased))
    )


@reports_group.command(
    "export", help=_("Export the progress report (or the summary) as the admin pages do.")
)
@click.option("--format", "output", type=click.Choice(["csv", "xlsx", "json"]), default="csv")
@click.option("--output", "target", type=click.Path(dir_okay=False), help=_("Default: stdout."))
@click.option("--summary", is_flag=True, help=_("One row per learner instead of per lesson."))
@click.option("--course", metavar="SLUG", help=_("The learners of this course only."))
@click.option(
    "--cohort",
    metavar="NUMBER",
    help=_("The members of this cohort only; 'none' for a course's members in no cohort."),
)
@click.option("--language")
@click.option("--role", type=ROLE_CHOICE)
@click.option("--registered-from", help=_("YYYY-MM-DD"))
@click.option("--registered-to", help=_("YYYY-MM-DD"))
@click.option("--pseudonymise", is_flag=True, help=_("Pseudonyms instead of ids, emails, names."))
@click.option("--bom", is_flag=True, help=_("Start a CSV with the byte order mark Excel wants."))
def reports_export(output, target, summary, pseudonymise, bom, **filter_options) -> None:
    args = {name: value for name, value in filter_options.items() if value}
    try:
        filters = reports.read_filters(db.session, args, content.catalogue)
    except reports.InvalidFilter as invalid:
        option = "--" + invalid.field.replace("_", "-")
        raise click.UsageError(_("not a valid value for %(option)s", option=option)) from None
    course = reports.course_of(filters, content.catalogue)
    export = reports.ReportExport(
        "summary" if summary else "progress", output, filters, pseudonymise, bom
    )
    rows = export.rows(db.session, course)
    if target and sys.stderr.isatty():
        per_learner = 1 if summary else max(len(course.published_lessons), 1)
        total = reports.learner_count(db.session, filters) * per_learner
        rows = _with_progress_bar(rows, total)
    with click.open_file(target or "-", "wb") as file:
        for chunk in export.chunks(rows):
            file.write(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8"))
    export.record(db.session, None)
    if target:
        click.echo(
            ngettext(
                "%(num)d row written to %(path)s",
                "%(num)d rows written to %(path)s",
                export.rows_written,
                path=target,
            ),
            err=True,
        )


def _with_progress_bar(rows, total: int):
    with click.progressbar(length=total, label=_("Exporting"), file=sys.stderr) as bar:
        for row in rows:
            bar.update(1)
            yield row


@click.group(
    "lessons", help=_("Check the lessons and their translations, without a server or a database.")
)
def lessons() -> None:
    pass


def _course_folder(lessons_dir: Path, slug: str) -> Path:
    """The folder of the course --course names; a slug no course has is told with those
    there are, as a mistyped one usually is."""
    found = course_folder(lessons_dir, slug)
    if found is None:
        courses = declared_courses(lessons_dir)
        raise CommandError.saying(
            _(
                "%(folder)s has no course '%(slug)s' (its courses: %(slugs)s)",
                folder=lessons_dir,
                slug=slug,
                slugs=", ".join(declared for declared, _folder in courses),
            )
        )
    return found


def _lessons_dir(directory: str | None) -> Path:
    """The lessons folder to read; a file given for it is told in the terminal's language
    (click's own check would say it with click's words, not the trainer's)."""
    folder = Path(directory or Config.LESSONS_DIR)
    if folder.exists() and not folder.is_dir():
        raise CommandError.saying(
            _("%(folder)s is a file: give the lessons folder, where course.yml is", folder=folder)
        )
    return folder


@lessons.command(
    "check",
    help=_(
        "Check DIRECTORY (default: LESSONS_DIR): one line per problem, as"
        " path:line:column: level: message. Exits 1 when there are errors. The JSON report"
        " stays in English, for tools."
    ),
)
@click.argument("directory", required=False)
@click.option("--course", "course", metavar="SLUG", help=_("Check this course only."))
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text")
@click.option("--strict", is_flag=True, help=_("Treat warnings as errors."))
def lessons_check(directory: str | None, course: str | None, output: str, strict: bool) -> None:
    folder = _lessons_dir(directory)
    # The lessons the server reads are checked as it reads them: with its default course.
    default = Config.DEFAULT_COURSE if directory is None else None
    # One course's links to the others are checked as the server would serve them.
    site = site_of(folder)
    if course is not None:
        folder, default = _course_folder(folder, course), None
    register = load_register(Config.DATA_REGISTER)
    _catalogue, problems = check_catalogue(folder, register, default, site)
    if strict:
        problems = [replace(problem, level=Level.ERROR) for problem in problems]
    errors = sum(1 for problem in problems if problem.level is Level.ERROR)
    if output == "json":
        click.echo(json.dumps([problem.as_dict() for problem in problems], indent=2))
    else:
        if problems:
            click.echo(described(problems))
        warnings = len(problems) - errors
        click.echo(
            ngettext("%(num)d error", "%(num)d errors", errors)
            + ", "
            + ngettext("%(num)d warning", "%(num)d warnings", warnings)
        )
    sys.exit(1 if errors else 0)


@lessons.command(
    "status",
    help=_(
        "Translation status: lesson by language (up to date, missing, out of date, not"
        " stamped, draft), and how complete each interface catalogue is."
    ),
)
@click.argument("directory", required=False)
@click.option("--course", "course_slug", metavar="SLUG", help=_("This course only."))
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text")
def lessons_status(directory: str | None, course_slug: str | None, output: str) -> None:
    folder = _lessons_dir(directory)
    if course_slug is not None:
        folder = _course_folder(folder, course_slug)
    catalogue, problems = check_catalogue(folder, load_register(Config.DATA_REGISTER))
    if catalogue is None:
        if output == "json":
            # Whoever reads the JSON gets JSON, errors included.
            click.echo(
                json.dumps({"problems": [problem.as_dict() for problem in problems]}, indent=2)
            )
        else:
            click.echo(described(problems), err=True)
        sys.exit(1)
    courses = []
    for course in catalogue.courses:
        matrix = authoring.translation_matrix(course)
        courses.append((course, matrix))
    languages = catalogue.languages
    report = {
        "courses": [
            {"slug": course.slug, "lessons": _status_of_lessons(matrix)}
            for course, matrix in courses
        ],
        "interface": authoring.catalogue_completeness(Path(Config.TRANSLATIONS_DIR), languages),
    }
    if len(courses) == 1:
        # As a single course's report always was.
        report["lessons"] = report["courses"][0]["lessons"]
    if output == "json":
        click.echo(json.dumps(report, indent=2))
        return
    for course, matrix in courses:
        if len(courses) > 1:
            click.echo(f"[{course.slug}]")
        _echo_status(matrix)
    completeness = "  ".join(
        f"{language}: {percent}%" for language, percent in report["interface"].items()
    )
    click.echo(_("interface: %(completeness)s", completeness=completeness))


def _status_of_lessons(matrix) -> list[dict]:
    return [
        {
            "number": lesson.number,
            "slug": lesson.slug,
            "languages": {language: {"state": state.value} for language, state in states.items()},
        }
        for lesson, states in matrix
    ]


def _echo_status(matrix) -> None:
    for lesson, states in matrix:
        cells = "  ".join(
            f"{language}: {_(authoring.STATE_WORDS[state])}" for language, state in states.items()
        )
        click.echo(f"{lesson.number:02d}-{lesson.slug}  {cells}")
    for lesson, states in matrix:
        source = lesson.texts[lesson.default_language].source_path.name
        for language, state in states.items():
            if state is authoring.TranslationState.UNSTAMPED:
                path = lesson.texts[language].source_path
                click.echo(
                    _(
                        "%(path)s: not stamped: run `flask --app app lessons stamp %(path)s`"
                        " once it matches %(source)s",
                        path=path,
                        source=source,
                    )
                )


@lessons.command(
    "stamp",
    help=_(
        "Mark translations as up to date with their lesson's default-language file, once you"
        " have brought them up to date: records `translated_from: <lang>@<hash>`."
    ),
)
@click.argument("files", nargs=-1, required=True)
def lessons_stamp(files: tuple[str, ...]) -> None:
    checked: dict[Path, list[Problem]] = {}
    for name in files:
        path = Path(name)
        folder = path.resolve().parent
        if path.is_dir():
            raise CommandError.saying(
                _("%(path)s is a folder: give the translation's file, as in pt.md", path=path)
            )
        if not path.exists():
            raise CommandError.saying(_("%(path)s does not exist", path=path))
        try:
            source = folder / f"{course_default_language(folder.parent)}.md"
            if path.resolve() == source.resolve():
                raise CommandError.saying(
                    _("%(path)s is the source; stamp its translations", path=path)
                )
            # A stamp says the translation matches its source: one whose quiz has a question
            # less, or with front matter left broken, does not.
            if folder.parent not in checked:
                checked[folder.parent] = check_course(
                    folder.parent, load_register(Config.DATA_REGISTER)
                )[1]
            errors = [
                problem
                for problem in checked[folder.parent]
                if problem.level is Level.ERROR and Path(problem.path).resolve() == path.resolve()
            ]
            if errors:
                raise CommandError(
                    described(errors)
                    + "\n"
                    + _("%(path)s is not stamped: mend its errors first", path=path)
                )
            stamp = authoring.stamp_translation(path, source)
        except ContentError as error:
            raise CommandError(described(error.problems)) from error
        click.echo(
            _(
                "%(path)s: marked as up to date with %(source)s (%(stamp)s)",
                path=path,
                source=source.name,
                stamp=stamp,
            )
        )


@lessons.command(
    "import-gift",
    help=_(
        "Turn a quiz in Moodle's GIFT format into a lesson's quiz block. The block is printed"
        " (or written to --output) for you to paste into the lesson; what cannot be converted"
        " is told as path:line:column: level: message, and the command then exits 1 (2 when"
        " the file cannot be read)."
    ),
)
@click.argument("file")
@click.option(
    "--output", "target", metavar="FILE", help=_("Write the quiz block to FILE, not the terminal.")
)
def lessons_import_gift(file: str, target: str | None) -> None:
    # Imported by this command alone, not by every process that registers it (servers).
    from app.content.gift import convert_gift

    path = Path(file)
    unreadable = Problems()
    text = read_text(path, unreadable)
    if text is None:
        raise UnusableFile(described(unreadable.items))
    conversion = convert_gift(text, path)
    if conversion.quiz:
        try:
            with click.open_file(target or "-", "w", encoding="utf-8") as output:
                output.write(conversion.quiz)
        except OSError:
            raise UnusableFile.saying(
                _(
                    "cannot write %(path)s: check that its folder exists and that you may "
                    "write in it",
                    path=target,
                )
            ) from None
    if conversion.problems:
        click.echo(described(conversion.problems), err=True)
    click.echo(
        ngettext("%(num)d question converted", "%(num)d questions converted", conversion.converted),
        err=True,
    )
    sys.exit(0 if conversion.is_complete else 1)


def _pybabel(*arguments: str) -> None:
    root = Path(current_app.config["TRANSLATIONS_DIR"]).parent
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", *arguments], check=True, cwd=root
    )


@translate.command(
    "update",
    help=_("Extract the interface strings from app/ and merge them into the es and pt catalogues."),
)
def translate_update() -> None:
    template = "translations/messages.pot"
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "NP_:1,2", "-o", template, "app")
    _pybabel("update", "-i", template, "-d", "translations", "--no-fuzzy-matching")


@translate.command(
    "compile", help=_("Compile the catalogues (.po to .mo) so the app can serve them.")
)
def translate_compile() -> None:
    _pybabel("compile", "-d", "translations")


@certificates_group.command(
    "rotate-key",
    help=_(
        "Retire the key that signs new credentials and make another; print its kid. The"
        " retired key stays published, so that what it signed still verifies."
    ),
)
def rotate_signing_key() -> None:
    key = credentials.rotate_key(db.session, current_app.config["SECRET_KEY"])
    click.echo(_("new signing key: %(kid)s", kid=key.kid))


def _echo_delivery(counts: outbox.DeliveryCounts) -> None:
    click.echo(
        _(
            "sent: %(sent)d, to try again: %(retrying)d, refused: %(failed)d",
            sent=counts.sent,
            retrying=counts.retrying,
            failed=counts.failed,
        )
    )


@outbox_group.command("deliver", help=_("Send the messages that are due, once."))
def outbox_deliver() -> None:
    _echo_delivery(outbox.deliver_due(current_app._get_current_object()))


@outbox_group.command(
    "work",
    help=_(
        "Keep sending the messages that are due, trying again those that failed, until"
        " stopped: run one such worker on each host, or on one of them."
    ),
)
@click.option(
    "--every",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help=_("Seconds between two looks at the queue."),
)
def outbox_work(every: float) -> None:
    app = current_app._get_current_object()
    while True:
        counts = outbox.deliver_due(app)
        if counts.sent or counts.retrying or counts.failed:
            _echo_delivery(counts)
        time.sleep(every)


@outbox_group.command("status", help=_("How many messages wait, were refused and were sent."))
def outbox_status() -> None:
    kinds = outbox.status(db.session)
    if not kinds:
        click.echo(_("The outbox is empty."))
    for kind in kinds:
        since = (
            _(", the oldest since %(moment)s", moment=kind.oldest_waiting.isoformat())
            if kind.oldest_waiting
            else ""
        )
        click.echo(
            _(
                "%(kind)s: waiting %(waiting)d%(since)s; refused %(failed)d; sent %(sent)d",
                kind=kind.kind,
                waiting=kind.waiting,
                since=since,
                failed=kind.failed,
                sent=kind.sent,
            )
        )


@outbox_group.command(
    "retry-refused",
    help=_("Send again the messages a service refused, once the cause is mended."),
)
def outbox_retry_refused() -> None:
    count = outbox.retry_failed(db.session)
    click.echo(ngettext("%(num)d message to send again", "%(num)d messages to send again", count))


def register_commands(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(translate)
    app.cli.add_command(privacy_group)
    app.cli.add_command(reports_group)
    app.cli.add_command(certificates_group)
    app.cli.add_command(outbox_group)
