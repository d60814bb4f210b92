"""A factory for small lessons directories, written the way a trainer would."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

# The shipped course's slug: the tests' addresses are then those of the default course.
COURSE_YML = """\
slug: co-production
title:
  es: Curso de prueba
  pt: Curso de teste
  en: Test course
languages: [es, pt, en]
default_language: es
planned_lessons: 15
"""


def lesson_file(title: str = "Una lección", body: str = "Texto.", **front) -> str:
    """A lesson file with the required front matter plus `front` keys (raw YAML values)."""
    lines = [f"title: {title}", "author: Ruben", "date: 2024-05-15"]
    lines += [f"{key}: {value}" for key, value in front.items()]
    return "---\n" + "\n".join(lines) + "\n---\n\n" + textwrap.dedent(body)


# A second course, given in Portuguese only, its slug set apart from its folder's name.
GUIDE_YML = """\
slug: guia
title:
  pt: Guia para formadores
description:
  pt: Como escrever uma lição.
languages: [pt]
default_language: pt
planned_lessons: 3
"""


class LessonsDir:
    def __init__(self, root: Path, course_yml: str = COURSE_YML):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        (root / "course.yml").write_text(course_yml, encoding="utf-8")

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def lesson(self, folder: str, languages=("es", "pt", "en"), **front) -> None:
        for language in languages:
            self.write(f"{folder}/{language}.md", lesson_file(f"{folder} {language}", **front))


@pytest.fixture
def lessons_dir(tmp_path) -> LessonsDir:
    return LessonsDir(tmp_path / "lessons")


def two_courses(root: Path) -> tuple[LessonsDir, LessonsDir]:
    """A lessons folder holding the test course (co-production) and the guide (guia), each
    in its own folder; lessons are for the test to write."""
    return LessonsDir(root / "co-production"), LessonsDir(root / "guide", GUIDE_YML)
