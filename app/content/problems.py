"""Problems found in a lessons directory, located as `path:line:column: level: message`, the
form compilers use, so editors and CI can jump to them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path


class Level(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a lessons directory, located for the trainer's editor."""

    path: Path
    line: int
    message: str
    column: int = 1
    level: Level = Level.ERROR

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.level.value}: {self.message}"

    def relative_to(self, root: Path) -> Problem:
        """The same problem, its path given from `root` (the lessons folder) when inside it."""
        path = Path(self.path)
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        return Problem(shown, self.line, self.message, self.column, self.level)

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

    def add(self, path: Path, line: int, message: str, column: int = 1) -> None:
        self.items.append(Problem(path, line, message, column))

    def warn(self, path: Path, line: int, message: str, column: int = 1) -> None:
        self.items.append(Problem(path, line, message, column, Level.WARNING))

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.items if problem.level is Level.ERROR]

    def __len__(self) -> int:
        """The number of errors (warnings never stop a lesson from loading)."""
        return len(self.errors)
