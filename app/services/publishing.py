"""Lessons written in the browser: every save a revision kept with the course, published
once they have no errors, and every host's lessons folder kept in step with what was
published.

The Markdown files stay the format of record. Publishing writes the published revisions
into the course's folder, where the checker, the learners' pages and version control read
them; a host that did not publish writes them into its own folder when it sees, in the
database, a publication newer than the last it took in (`catch_up`). A file on disk whose
text the database has never seen is someone's work in the files (a `git pull`, an edit
on the server): it is left alone until a reload takes it in as a revision of its own.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import sqlalchemy as sa
from flask import Flask
from merge3 import Merge3
from sqlalchemy.orm import Session

from app.content import Catalogue, Course, DataRegister, Lesson, LessonText, Problem
from app.content.loader import LESSON_FOLDER, check_course, course_folder
from app.content.problems import N_, Level
from app.models import ContentRevision, Publication, PublishedFile, User
from app.services.authoring import stamp_translation

# What a course's folder holds that trainers change in the browser: lesson texts, and the
# pictures beside them.
TEXT_FILE = re.compile(r"^(?P<folder>\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*)/(?P<language>[a-z]{2,3})\.md$")
PICTURE_FILE = re.compile(
    r"^(?P<folder>\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*)/(?P<name>[a-z0-9]+(?:[-_.][a-z0-9]+)*)"
    r"\.(?:png|jpe?g|webp|svg)$"
)
# merge3's marks around lines both people changed (the checker reports them, so a text
# still holding them is never published).
CONFLICT_MARKS = ("<<<<<<<", "=======", ">>>>>>>")


class Origin:
    """Where a revision came from."""

    BROWSER = "browser"
    FILES = "files"
    RESTORED = "restored"
    PICTURE = "picture"
    # Taken out of the lesson files (a lesson folder deleted, say): published, the file is
    # removed from every host's folder. Its data is empty.
    REMOVED = "removed"


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_course_file(path: str) -> bool:
    """Whether `path` (inside a course's folder) names a file trainers may write from the
    browser: a lesson text or a picture in a lesson's folder, nothing above or beside."""
    return bool(TEXT_FILE.match(path) or PICTURE_FILE.match(path))


def lesson_text_path(folder: str, language: str) -> str:
    return f"{folder}/{language}.md"


# Opening and saving


@dataclass(frozen=True, slots=True)
class Opened:
    """A file as the editor opens it: its newest revision (published or not), else the
    file on disk, else nothing yet."""

    text: str
    # The revision the text is, None while the file has none (its text is the disk's).
    revision_id: int | None
    # Whether learners are given this very text.
    is_published: bool
    exists: bool = True


def _latest(session: Session, course: str, path: str) -> ContentRevision | None:
    return session.scalars(
        sa.select(ContentRevision)
        .where(ContentRevision.course == course, ContentRevision.path == path)
        .order_by(ContentRevision.id.desc())
        .limit(1)
    ).first()


def _published_revision_id(session: Session, course: str, path: str) -> int | None:
    return session.scalar(
        sa.select(PublishedFile.revision_id).where(
            PublishedFile.course == course, PublishedFile.path == path
        )
    )


def _on_disk(course: Course, path: str) -> bytes | None:
    if course.directory is None:
        return None
    try:
        return (course.directory / path).read_bytes()
    except OSError:
        return None


def open_text(session: Session, course: Course, path: str) -> Opened:
    """The text of a lesson file to edit: its newest revision, else the file's."""
    latest = _latest(session, course.slug, path)
    if latest is not None and latest.origin == Origin.REMOVED:
        return Opened("", latest.id, False, exists=False)
    if latest is not None:
        published = _published_revision_id(session, course.slug, path) == latest.id
        return Opened(_decoded(latest.data), latest.id, published)
    data = _on_disk(course, path)
    if data is None:
        return Opened("", None, False, exists=False)
    return Opened(_decoded(data), None, True)


def _decoded(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class Saved:
    revision_id: int
    problems: list[Problem]

    @property
    def has_errors(self) -> bool:
        return any(problem.level is Level.ERROR for problem in self.problems)


@dataclass(frozen=True, slots=True)
class Conflict:
    """A save refused because someone else saved the file after the author opened it."""

    # The newest revision: the author's next save starts from it.
    latest_id: int
    latest_author: str | None
    # What the other person changed, from the text the author started from to theirs.
    changes: list[DiffLine]
    # Both people's changes together, with the marks of merge3 around lines both changed.
    merged: str
    is_clean: bool


def _from_disk(session: Session, course: Course, path: str) -> ContentRevision | None:
    """A file's first revision, made from the file on disk when a save finds it has none:
    the version later saves are compared with, and that a host whose folder still holds
    it knows to replace."""
    data = _on_disk(course, path)
    if data is None:
        return None
    return _add_revision(session, course.slug, path, data, None, Origin.FILES, None, False)


def _add_revision(
    session: Session,
    course: str,
    path: str,
    data: bytes,
    author_id: int | None,
    origin: str,
    based_on_id: int | None,
    has_errors: bool,
) -> ContentRevision:
    revision = ContentRevision(
        course=course,
        path=path,
        data=data,
        digest=digest_of(data),
        author_id=author_id,
        origin=origin,
        based_on_id=based_on_id,
        has_errors=has_errors,
    )
    session.add(revision)
    session.flush()
    return revision


def save_text(
    session: Session,
    course: Course,
    register: DataRegister | None,
    path: str,
    text: str,
    based_on: int | None,
    author: User,
) -> Saved | Conflict:
    """Keep `text` as a new revision of a lesson file, errors or not (those are drafts
    until fixed), unless someone saved the file after revision `based_on` (None: the
    author started from the file on disk): then nothing is saved, and the author is shown
    what changed in between and both changes merged."""
    if not TEXT_FILE.match(path):
        raise ValueError(path)
    text = _normal_line_endings(text)
    latest = _latest(session, course.slug, path)
    if latest is None:
        latest = _from_disk(session, course, path)
    elif latest.id != based_on:
        return _conflict(session, course, path, text, based_on, latest)
    return _keep_checked(session, course, register, path, text, author, Origin.BROWSER, latest)


def _keep_checked(
    session: Session,
    course: Course,
    register: DataRegister | None,
    path: str,
    text: str,
    author: User,
    origin: str,
    latest: ContentRevision | None,
) -> Saved:
    """Keep `text` as the newest revision of a lesson file, after `latest`, noting whether
    the course would have errors with it (a draft, then, until they are fixed)."""
    problems = check_with(course, register, {path: text.encode()}).problems_in(path)
    revision = _add_revision(
        session,
        course.slug,
        path,
        text.encode(),
        author.id,
        origin,
        latest.id if latest is not None else None,
        any(problem.level is Level.ERROR for problem in problems),
    )
    session.commit()
    return Saved(revision.id, problems)


def _normal_line_endings(text: str) -> str:
    # A browser's form sends CRLF; the files are written with the project's LF.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _conflict(
    session: Session,
    course: Course,
    path: str,
    text: str,
    based_on: int | None,
    latest: ContentRevision,
) -> Conflict:
    start = session.get(ContentRevision, based_on) if based_on is not None else None
    if start is None or start.course != course.slug or start.path != path:
        start_data = _on_disk(course, path) or b""
    else:
        start_data = start.data
    base, theirs = _decoded(start_data), _decoded(latest.data)
    merge = Merge3(
        base.splitlines(keepends=True),
        theirs.splitlines(keepends=True),
        text.splitlines(keepends=True),
    )
    lines = list(
        merge.merge_lines(
            name_a=_author_name(session, latest.author_id) or "",
            name_b="",
            start_marker=CONFLICT_MARKS[0],
            mid_marker=CONFLICT_MARKS[1],
            end_marker=CONFLICT_MARKS[2],
        )
    )
    clean = not any(line.startswith(CONFLICT_MARKS) for line in lines)
    return Conflict(
        latest_id=latest.id,
        latest_author=_author_name(session, latest.author_id),
        changes=compare(base, theirs),
        merged="".join(lines),
        is_clean=clean,
    )


def _author_name(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return session.scalar(sa.select(User.display_name).where(User.id == user_id))


# Comparing and restoring


@dataclass(frozen=True, slots=True)
class DiffLine:
    # " " the same, "-" only in the older text, "+" only in the newer, "@" a gap.
    kind: str
    text: str
    old_number: int | None = None
    new_number: int | None = None


def compare(old: str, new: str, context: int = 3) -> list[DiffLine]:
    """The lines that differ between two texts, with `context` lines around each change
    and each line's number in the older and the newer text."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        if lines:
            lines.append(DiffLine("@", ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(
                    DiffLine(" ", old_lines[i], i + 1, j + 1)
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                )
                continue
            lines.extend(DiffLine("-", old_lines[i], i + 1, None) for i in range(i1, i2))
            lines.extend(DiffLine("+", new_lines[j], None, j + 1) for j in range(j1, j2))
    return lines


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    id: int
    # Its place among the file's revisions, the first 1: what trainers call it.
    number: int
    created_at: dt.datetime
    author: str | None
    origin: str
    has_errors: bool
    is_published: bool
    is_latest: bool


def history(session: Session, course: str, path: str) -> list[HistoryEntry]:
    """Every revision of a file, newest first, with who saved it and whether learners are
    given it."""
    published = _published_revision_id(session, course, path)
    rows = session.execute(
        sa.select(
            ContentRevision.id,
            ContentRevision.created_at,
            User.display_name,
            ContentRevision.origin,
            ContentRevision.has_errors,
        )
        .outerjoin(User, User.id == ContentRevision.author_id)
        .where(ContentRevision.course == course, ContentRevision.path == path)
        .order_by(ContentRevision.id.desc())
    ).all()
    return [
        HistoryEntry(
            id=row.id,
            number=len(rows) - index,
            created_at=row.created_at,
            author=row.display_name,
            origin=row.origin,
            has_errors=row.has_errors,
            is_published=row.id == published,
            is_latest=index == 0,
        )
        for index, row in enumerate(rows)
    ]


def revision_text(session: Session, course: str, path: str, revision_id: int) -> str | None:
    """The text of one revision of a file, None when it is no revision of that file."""
    data = session.scalar(
        sa.select(ContentRevision.data).where(
            ContentRevision.id == revision_id,
            ContentRevision.course == course,
            ContentRevision.path == path,
        )
    )
    return None if data is None else _decoded(data)


def restore(
    session: Session,
    course: Course,
    register: DataRegister | None,
    path: str,
    revision_id: int,
    author: User,
) -> Saved | None:
    """Bring an earlier revision back as the newest one (nothing is lost: the revisions
    after it stay in the history). None when it is no revision of this file."""
    text = revision_text(session, course.slug, path, revision_id)
    if text is None:
        return None
    latest = _latest(session, course.slug, path)
    return _keep_checked(session, course, register, path, text, author, Origin.RESTORED, latest)


def add_picture(
    session: Session, course: Course, folder: str, name: str, data: bytes, author: User
) -> str:
    """Keep a picture (already made safe) as a revision of a file in a lesson's folder,
    published with the lesson; returns its path inside the course's folder."""
    path = f"{folder}/{name}"
    if not PICTURE_FILE.match(path):
        raise ValueError(path)
    latest = _latest(session, course.slug, path)
    _add_revision(
        session,
        course.slug,
        path,
        data,
        author.id,
        Origin.PICTURE,
        latest.id if latest is not None else None,
        False,
    )
    session.commit()
    return path


def newest_file(session: Session, course: str, path: str) -> bytes | None:
    """A file's newest revision (a picture not yet published, for the preview)."""
    latest = _latest(session, course, path)
    return None if latest is None else latest.data


# Checking drafts


@dataclass
class Checked:
    """A course checked with some files replaced: the course as it would load (None when
    it has errors; its texts, parsed, name the copy's files, gone since) and every
    problem, with paths as in the real folder."""

    course: Course | None
    problems: list[Problem]
    folder: Path | None = None

    def problems_in(self, path: str) -> list[Problem]:
        if self.folder is None:
            return list(self.problems)
        target = self.folder / path
        return [problem for problem in self.problems if Path(problem.path) == target]


def _link_or_copy(source: str, target: str) -> None:
    # A hard link keeps a picture where the loader's checks look for it (a symbolic link
    # would resolve outside the copied folder) without copying its bytes.
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def check_with(course: Course, register: DataRegister | None, changes: dict[str, bytes]) -> Checked:
    """Check the whole course as it would be with `changes` (path inside its folder ->
    content), exactly as a reload would, without touching its folder: in a temporary one
    where the lesson folders changed are copies and everything else links to the real
    files. The whole course, not the files alone, tells links to lessons that do not exist
    or are drafts, a translation whose quiz no longer matches its source's, a stale stamp.
    The problems' paths are given back as the real folder's."""
    if course.directory is None:
        return Checked(None, [])
    original = course.directory
    touched = {PurePosixPath(path).parts[0] for path in changes}
    with tempfile.TemporaryDirectory(prefix="aula-check-") as scratch:
        # Named as the course's slug: a course.yml without `slug:` takes its folder's name.
        copy = Path(scratch) / course.slug
        copy.mkdir()
        for entry in original.iterdir():
            if entry.name in touched and entry.is_dir():
                shutil.copytree(entry, copy / entry.name, copy_function=_link_or_copy)
            elif entry.name not in touched and not entry.name.startswith("."):
                (copy / entry.name).symlink_to(entry.resolve())
        for path, data in changes.items():
            target = copy / path
            target.parent.mkdir(parents=True, exist_ok=True)
            # Replaced, not written through: it may be a hard link to the real file.
            target.unlink(missing_ok=True)
            target.write_bytes(data)
        checked, problems = check_course(copy, register)
    return Checked(checked, [problem.moved(copy, original) for problem in problems], original)


@dataclass(frozen=True, slots=True)
class Draft:
    """A lesson text as the editor checks it: the lesson and its text as learners would
    get them (None while the course would not load with it), and the file's problems."""

    lesson: Lesson | None
    text: LessonText | None
    problems: list[Problem]


def check_draft(
    session: Session,
    course: Course,
    register: DataRegister | None,
    folder: str,
    language: str,
    text: str,
) -> Draft:
    """Check `text` as the `language` file of the lesson in `folder`, with the lesson's
    other files as last saved (pictures uploaded but not published included) and the rest
    of the course as learners have it."""
    path = lesson_text_path(folder, language)
    changes = {
        each.path: data
        for each in pending(session, course.slug, [folder])
        if each.path != path and (data := newest_file(session, course.slug, each.path))
    }
    changes[path] = _normal_line_endings(text).encode()
    checked = check_with(course, register, changes)
    problems = checked.problems_in(path)
    if checked.course is None:
        return Draft(None, None, problems)
    slug = folder.split("-", 1)[1]
    lesson = next((each for each in checked.course.lessons if each.slug == slug), None)
    return Draft(lesson, lesson.texts.get(language) if lesson else None, problems)


# Publishing


@dataclass(frozen=True, slots=True)
class Pending:
    """A file whose newest revision learners are not given yet."""

    path: str
    revision_id: int
    has_errors: bool


def pending(session: Session, course: str, folders: Iterable[str] | None = None) -> list[Pending]:
    """The files of a course (of its lesson `folders` only, if given) saved since their
    last publication."""
    newest = (
        sa.select(ContentRevision.path, sa.func.max(ContentRevision.id).label("newest"))
        .where(ContentRevision.course == course)
        .group_by(ContentRevision.path)
        .subquery()
    )
    rows = session.execute(
        sa.select(newest.c.path, newest.c.newest, ContentRevision.has_errors)
        .join(ContentRevision, ContentRevision.id == newest.c.newest)
        .outerjoin(
            PublishedFile,
            sa.and_(PublishedFile.course == course, PublishedFile.path == newest.c.path),
        )
        .where(
            sa.or_(
                PublishedFile.revision_id.is_(None), PublishedFile.revision_id != newest.c.newest
            )
        )
        .order_by(newest.c.path)
    ).all()
    wanted = set(folders) if folders is not None else None
    return [
        Pending(path, revision_id, has_errors)
        for path, revision_id, has_errors in rows
        if wanted is None or PurePosixPath(path).parts[0] in wanted
    ]


@dataclass
class Published:
    publication_id: int | None
    paths: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def is_done(self) -> bool:
        return self.publication_id is not None


def publish(
    session: Session,
    course: Course,
    register: DataRegister | None,
    author: User | None,
    folders: Sequence[str] | None = None,
) -> Published:
    """Give learners the newest revision of every file of the course (of its lesson
    `folders` only, if given), once the course checks without errors with them; then
    announce it to every host (each writes them into its own folder: `catch_up`). On
    errors nothing changes, and the problems are returned."""
    waiting = pending(session, course.slug, folders)
    if not waiting:
        return Published(None)
    data = {
        row.path: row.data
        for row in session.scalars(
            sa.select(ContentRevision).where(
                ContentRevision.id.in_([each.revision_id for each in waiting])
            )
        )
    }
    checked = check_with(course, register, data)
    if checked.course is None:
        return Published(None, problems=checked.problems)
    publication = Publication(course=course.slug, published_by=author.id if author else None)
    session.add(publication)
    session.flush()
    _mark_published(session, course.slug, waiting, publication.id)
    session.commit()
    return Published(publication.id, [each.path for each in waiting], checked.problems)


def _mark_published(
    session: Session, course: str, waiting: Sequence[Pending], publication_id: int
) -> None:
    existing = set(
        session.scalars(
            sa.select(PublishedFile.path).where(
                PublishedFile.course == course,
                PublishedFile.path.in_([each.path for each in waiting]),
            )
        )
    )
    for each in waiting:
        if each.path in existing:
            session.execute(
                sa.update(PublishedFile)
                .where(PublishedFile.course == course, PublishedFile.path == each.path)
                .values(revision_id=each.revision_id, publication_id=publication_id)
            )
        else:
            session.add(
                PublishedFile(
                    course=course,
                    path=each.path,
                    revision_id=each.revision_id,
                    publication_id=publication_id,
                )
            )
    session.flush()


def take_in_files(session: Session, catalogue: Catalogue, author: User | None) -> list[int]:
    """After the lessons folder was read again without errors: keep as revisions, and
    publish, the files whose text the database does not have yet (changed on disk or
    pulled from version control), so that every host gives learners the same version.
    Returns the publications' numbers (one for each course that changed)."""
    made: list[int] = []
    for course in catalogue.courses:
        if course.directory is None:
            continue
        # Each file learners are given, with its digest (those removed are given no more).
        published = dict(
            session.execute(
                sa.select(PublishedFile.path, ContentRevision.digest)
                .join(ContentRevision, ContentRevision.id == PublishedFile.revision_id)
                .where(
                    PublishedFile.course == course.slug,
                    ContentRevision.origin != Origin.REMOVED,
                )
            ).all()
        )
        changed: list[Pending] = []
        files = dict(_course_files(course.directory))
        for path, data in files.items():
            if published.get(path) == digest_of(data):
                continue
            revision = _add_revision(
                session,
                course.slug,
                path,
                data,
                author.id if author else None,
                Origin.FILES,
                None,
                False,
            )
            changed.append(Pending(path, revision.id, False))
        for path in sorted(published.keys() - files.keys()):
            revision = _add_revision(
                session,
                course.slug,
                path,
                b"",
                author.id if author else None,
                Origin.REMOVED,
                None,
                False,
            )
            changed.append(Pending(path, revision.id, False))
        if changed:
            publication = Publication(
                course=course.slug, published_by=author.id if author else None
            )
            session.add(publication)
            session.flush()
            _mark_published(session, course.slug, changed, publication.id)
            made.append(publication.id)
    session.commit()
    return made


def _course_files(directory: Path) -> Iterable[tuple[str, bytes]]:
    for file in sorted(directory.glob("*/*")):
        path = file.relative_to(directory).as_posix()
        if file.is_file() and is_course_file(path):
            yield path, file.read_bytes()


# Every host in step


def newest_publication(session: Session) -> int:
    return session.scalar(sa.select(sa.func.max(Publication.id))) or 0


def write_published(session: Session, lessons_dir: Path, since: int) -> list[Path]:
    """Write into this host's lessons folder the files published after publication
    `since`: where the file is missing, or holds a text the database knows as an older
    revision of it. A file holding a text the database has never seen is left: it is
    someone's work in the files, taken in by the next reload. Returns the files written."""
    rows = session.execute(
        sa.select(
            PublishedFile.course, PublishedFile.path, ContentRevision.data, ContentRevision.origin
        )
        .join(ContentRevision, ContentRevision.id == PublishedFile.revision_id)
        .where(PublishedFile.publication_id > since)
    ).all()
    folders: dict[str, Path | None] = {}
    written = []
    for course, path, data, origin in rows:
        if course not in folders:
            folders[course] = course_folder(lessons_dir, course)
        folder = folders[course]
        if folder is None or not is_course_file(path):
            continue
        target = folder / path
        current = target.read_bytes() if target.exists() else None
        removed = origin == Origin.REMOVED
        if current == (None if removed else data):
            continue
        if current is not None and not _is_known(session, course, path, digest_of(current)):
            continue
        if removed:
            target.unlink()
            if target.parent != folder and not any(target.parent.iterdir()):
                target.parent.rmdir()
        else:
            _write_atomically(target, data)
        written.append(target)
    return written


def _is_known(session: Session, course: str, path: str, digest: str) -> bool:
    return (
        session.scalar(
            sa.select(ContentRevision.id)
            .where(
                ContentRevision.course == course,
                ContentRevision.path == path,
                ContentRevision.digest == digest,
            )
            .limit(1)
        )
        is not None
    )


def _write_atomically(target: Path, data: bytes) -> None:
    # Written beside it and renamed: a request reading the folder meanwhile sees the old
    # file or the new one, never half of it.
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".saving-")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Follower:
    """One process's place in the sequence of publications: at most every
    `PUBLICATION_CHECK_SECONDS`, a request asks the database for the newest publication,
    and the first to see a new one writes the published files into this host's folder, so
    that the lessons are read again."""

    def __init__(self) -> None:
        self.seen = 0
        self.checked_at = float("-inf")
        self.lock = threading.Lock()

    def is_due(self, app: Flask) -> bool:
        return time.monotonic() - self.checked_at >= app.config["PUBLICATION_CHECK_SECONDS"]

    def catch_up(self, app: Flask, session: Session, *, now: bool = False) -> bool:
        """Whether publications were taken in, so that the lessons must be read again.
        `now`: without waiting for the next check (after this process published)."""
        moment = time.monotonic()
        if not now and not self.is_due(app):
            return False
        # Another request of this process taking them in: this one goes on with the lessons
        # as they are, unless it must see its own publication.
        if not self.lock.acquire(blocking=now):
            return False
        try:
            self.checked_at = moment
            try:
                newest = newest_publication(session)
            except (sa.exc.OperationalError, sa.exc.ProgrammingError):
                # A database not migrated yet (a first start, a health check before the
                # deploy's upgrade) has published nothing.
                session.rollback()
                return False
            if newest <= self.seen:
                return False
            write_published(session, Path(app.config["LESSONS_DIR"]), self.seen)
            self.seen = newest
            return True
        finally:
            self.lock.release()

    def took_in(self, session: Session, publication_ids: Sequence[int]) -> None:
        """This process made these publications from its own folder: nothing to write or
        read again for them, unless another process published in between, unseen."""
        if not publication_ids or max(publication_ids) <= self.seen:
            return
        unseen = session.scalar(
            sa.select(sa.func.count())
            .select_from(Publication)
            .where(
                Publication.id > self.seen,
                Publication.id <= max(publication_ids),
                Publication.id.not_in(publication_ids),
            )
        )
        if not unseen:
            self.seen = max(publication_ids)


# New lessons and translations


def new_lesson_problems(course: Course, session: Session, number: int, slug: str) -> list[str]:
    """What is wrong with a new lesson's number and slug (messages to translate)."""
    wrong = []
    folder = f"{number:02d}-{slug}"
    if not 1 <= number <= 99:
        wrong.append(N_("The number must be between 1 and 99."))
    if not LESSON_FOLDER.match(folder):
        wrong.append(
            N_("The short name may hold only lower-case letters, digits and single hyphens.")
        )
    taken = {lesson.slug for lesson in course.lessons} | {
        match["folder"].split("-", 1)[1]
        for path in _revision_paths(session, course.slug)
        if (match := TEXT_FILE.match(path))
    }
    if slug in taken:
        wrong.append(N_("The course already has a lesson with this short name."))
    return wrong


def _revision_paths(session: Session, course: str) -> list[str]:
    """The files of a course that have revisions, but for those since taken out of it."""
    newest = (
        sa.select(ContentRevision.path, sa.func.max(ContentRevision.id).label("newest"))
        .where(ContentRevision.course == course)
        .group_by(ContentRevision.path)
        .subquery()
    )
    return list(
        session.scalars(
            sa.select(newest.c.path)
            .join(ContentRevision, ContentRevision.id == newest.c.newest)
            .where(ContentRevision.origin != Origin.REMOVED)
        )
    )


def lesson_folders(session: Session, course: Course) -> dict[str, str]:
    """Every lesson of the course by slug, with its folder: those learners or previews
    know, and those only saved in the browser so far."""
    folders = {lesson.slug: lesson.folder.name for lesson in course.lessons}
    for path in _revision_paths(session, course.slug):
        if (match := TEXT_FILE.match(path)) is not None:
            folder = match["folder"]
            folders.setdefault(folder.split("-", 1)[1], folder)
    return folders


def folder_languages(session: Session, course: Course, folder: str) -> set[str]:
    """The languages a lesson folder has a text in, on disk or saved in the browser."""
    languages = set()
    if course.directory is not None:
        languages |= {file.stem for file in (course.directory / folder).glob("*.md")}
    for path in _revision_paths(session, course.slug):
        match = TEXT_FILE.match(path)
        if match is not None and match["folder"] == folder:
            languages.add(match["language"])
    return languages & set(course.languages)


def start_lesson(
    session: Session, course: Course, number: int, slug: str, title: str, author: User
) -> str:
    """A new lesson's first text, in the course's default language: front matter with its
    title, a draft until the trainer takes `draft: true` out, and a first heading."""
    path = lesson_text_path(f"{number:02d}-{slug}", course.default_language)
    quoted = title.replace("\\", "\\\\").replace('"', '\\"')
    text = f'---\ntitle: "{quoted}"\ndraft: true\n---\n\n## {title}\n\n'
    _add_revision(session, course.slug, path, text.encode(), author.id, Origin.BROWSER, None, False)
    session.commit()
    return path


def start_translation(
    session: Session, course: Course, folder: str, language: str, source_text: str, author: User
) -> str:
    """A translation's first text: the source's, its front matter stamped as translated
    from the source as it is now (as `flask lessons stamp` would), for the translator to
    write over."""
    with tempfile.TemporaryDirectory(prefix="aula-translation-") as scratch:
        source = Path(scratch) / f"{course.default_language}.md"
        translation = Path(scratch) / f"{language}.md"
        source.write_text(source_text, encoding="utf-8", newline="")
        translation.write_text(source_text, encoding="utf-8", newline="")
        stamp_translation(translation, source)
        data = translation.read_bytes()
    path = lesson_text_path(folder, language)
    _add_revision(session, course.slug, path, data, author.id, Origin.BROWSER, None, False)
    session.commit()
    return path
