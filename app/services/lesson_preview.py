"""A lesson's text as a trainer is editing it: checked by the loader exactly as a reload
would check it, and loaded as learners would get it, without touching the lessons folder.

The course is laid out again in a temporary folder: its course.yml and other lessons are
links to the real ones, and the edited lesson's folder is a copy (pictures hard-linked
where the file system allows) with the edited text written in as that language's file.
Checking the whole course, not the file alone, finds what only the course can tell: links
to lessons that do not exist or are drafts, a translation whose quiz no longer matches
the source's, a stale stamp."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from app.content import Course, DataRegister, Lesson, LessonText, Problem, check_course
from app.content.problems import CommandPath


@dataclass(frozen=True, slots=True)
class CheckedText:
    """The edited text as the course would load with it."""

    # The lesson and its text as learners would get them; None while the course would not
    # load (errors in this text, or anywhere else in the course).
    lesson: Lesson | None
    text: LessonText | None
    # The problems of the edited file only, located in the real lessons folder.
    problems: list[Problem]


def lesson_folder(lesson: Lesson) -> Path:
    """The folder a loaded lesson was read from."""
    return lesson.texts[lesson.default_language].source_path.parent


def lesson_file(course: Course, lesson: Lesson, language: str) -> Path | None:
    """The file of `lesson` in `language` as it is on disk now (it may have been written,
    or have gained errors, since the course was loaded), or None when there is none."""
    if language not in course.languages:
        return None
    path = lesson_folder(lesson) / f"{language}.md"
    return path if path.is_file() else None


def _link_or_copy(source: str, target: str) -> None:
    # A hard link keeps a picture where the loader's checks look for it (a symbolic link
    # would resolve outside the copied folder) without copying its bytes.
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _moved(problem: Problem, copy: Path, original: Path) -> Problem:
    """`problem` found in the copy of the course, its paths put back in the real folder."""

    def back(path: Path) -> Path:
        return original / path.relative_to(copy) if path.is_relative_to(copy) else path

    def value(found: object) -> object:
        if isinstance(found, CommandPath):
            return CommandPath(back(found.path))
        return back(found) if isinstance(found, Path) else found

    values = {name: value(found) for name, found in problem.values.items()}
    return replace(problem, path=back(Path(problem.path)), values=values)


def check_text(
    course: Course,
    lesson: Lesson,
    language: str,
    text: str,
    register: DataRegister | None = None,
) -> CheckedText:
    """Check `text` as the `language` file of `lesson`, with the rest of `course` as it is
    on disk; the data register lets lessons declare what they collect, as on a reload."""
    if course.directory is None:
        raise ValueError(f"course {course.slug} was not read from a folder")
    original = course.directory
    folder = lesson_folder(lesson)
    with tempfile.TemporaryDirectory(prefix="aula-preview-") as scratch:
        # Named as the course's slug: a course.yml without `slug:` takes its folder's name.
        copy = Path(scratch) / course.slug
        copy.mkdir()
        for entry in original.iterdir():
            if entry.name != folder.name:
                (copy / entry.name).symlink_to(entry.resolve())
        edited = copy / folder.name
        path = edited / f"{language}.md"

        def edited_file(directory: str, names: list[str]) -> list[str]:
            return [path.name] if Path(directory) == folder and path.name in names else []

        shutil.copytree(
            folder, edited, symlinks=True, copy_function=_link_or_copy, ignore=edited_file
        )
        # Written as the browser sent it: the loader reads files with universal newlines.
        path.write_text(text, encoding="utf-8", newline="")
        checked, found = check_course(copy, register)
        problems = [_moved(problem, copy, original) for problem in found if problem.path == path]
    if checked is None:
        return CheckedText(None, None, problems)
    loaded = next(each for each in checked.lessons if each.slug == lesson.slug)
    return CheckedText(loaded, loaded.texts.get(language), problems)
