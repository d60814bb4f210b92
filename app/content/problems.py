"""Problems found in a lessons directory, located as `path:line: message` for editors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a lessons directory, located for the trainer's editor."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(Exception):
    """The lessons directory cannot be served; `problems` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in problems))


class Problems:
    """Every problem found so far, in the order found."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, path: Path, line: int, message: str) -> None:
        self.items.append(Problem(path, line, message))

    def __len__(self) -> int:
        return len(self.items)
