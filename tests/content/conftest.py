"""A factory for small lessons directories, written the way a trainer would."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

COURSE_YML = """\
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


class LessonsDir:
    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        (root / "course.yml").write_text(COURSE_YML, encoding="utf-8")

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
