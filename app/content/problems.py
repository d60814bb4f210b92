"""Problems found in a lessons directory, located as `path:line:column: level: message`, the
form compilers use, so editors and CI can jump to them.

A problem keeps its message as an English template with `%(name)s` placeholders and the
values apart, so that whoever shows it can translate it: the trainer pages do, in the
trainer's language, and the command line in the terminal's; the JSON report stays in
English, for tools. Loading stays free of Flask: the templates are only marked here, with
`N_`."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path


def N_(template: str) -> str:
    """Mark an English problem template for `flask translate update` to extract (gettext's
    name for a string marked but not translated where it is written)."""
    return template


class Level(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


LEVEL_WORDS = {Level.ERROR: N_("error"), Level.WARNING: N_("warning")}


@dataclass(frozen=True, slots=True)
class CommandPath:
    """A file named in a command the trainer is told to run. It is shown from where commands
    run, not from the lessons folder as a problem's location is: there it would not be found."""

    path: Path

    def __str__(self) -> str:
        return str(self.path)


def shown_from(path: Path, base: Path) -> Path:
    """`path` from `base` when inside it, else as it is."""
    return path.relative_to(base) if path.is_relative_to(base) else path


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a lessons directory, located for the trainer's editor."""

    path: Path
    line: int
    template: str
    column: int = 1
    level: Level = Level.ERROR
    values: Mapping[str, object] = field(default_factory=dict, hash=False)

    @property
    def message(self) -> str:
        return self.in_words()

    def in_words(self, translate: Callable[[str], str] = str) -> str:
        """The message, its template put through `translate`. A template without values is
        kept as written, so it may hold a bare `%`."""
        template = translate(self.template)
        return template % self.values if self.values else template

    def described(self, translate: Callable[[str], str] = str) -> str:
        """`path:line:column: level: message`, the words put through `translate`."""
        level = translate(LEVEL_WORDS[self.level])
        return f"{self.path}:{self.line}:{self.column}: {level}: {self.in_words(translate)}"

    def __str__(self) -> str:
        return self.described()

    def relative_to(self, root: Path, commands_from: Path) -> Problem:
        """The same problem, its paths given from `root` (the lessons folder) and the files in
        its commands from `commands_from` (where the commands are run), when inside them."""

        def shown(value: object) -> object:
            if isinstance(value, CommandPath):
                return CommandPath(shown_from(value.path, commands_from))
            return shown_from(value, root) if isinstance(value, Path) else value

        values = {name: shown(value) for name, value in self.values.items()}
        return replace(self, path=shown_from(Path(self.path), root), values=values)

    def moved(self, old: Path, new: Path) -> Problem:
        """The same problem found in a copy of a folder (`old`), its paths given as in the
        folder copied (`new`)."""

        def rebased(value: object) -> object:
            if isinstance(value, CommandPath):
                return CommandPath(rebased(value.path))
            if isinstance(value, Path) and value.is_relative_to(old):
                return new / value.relative_to(old)
            return value

        values = {name: rebased(value) for name, value in self.values.items()}
        return replace(self, path=rebased(Path(self.path)), values=values)

    def as_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "line": self.line,
            "column": self.column,
            "level": self.level.value,
            "message": self.message,
        }


class ContentError(Exception):
    """The lessons directory cannot be served; `problems` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in problems))


class Problems:
    """Every problem found so far, in the order found."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(
        self, path: Path, line: int, template: str, column: int = 1, /, **values: object
    ) -> None:
        """An error: `template` is English, marked with N_, with `%(name)s` for `values`."""
        self.items.append(Problem(path, line, template, column, Level.ERROR, values))

    def warn(
        self, path: Path, line: int, template: str, column: int = 1, /, **values: object
    ) -> None:
        self.items.append(Problem(path, line, template, column, Level.WARNING, values))

    def in_order(self) -> list[Problem]:
        """Every problem, file by file in the order the files were first found, and each
        file's by line and column: checks run one after another over a file (its quiz before
        its text, links to drafts once every lesson is read), and a trainer reads it top down."""
        files: dict[Path, int] = {}
        for problem in self.items:
            files.setdefault(problem.path, len(files))
        return sorted(
            self.items, key=lambda problem: (files[problem.path], problem.line, problem.column)
        )

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.items if problem.level is Level.ERROR]

    def __len__(self) -> int:
        """The number of errors (warnings never stop a lesson from loading)."""
        return len(self.errors)
