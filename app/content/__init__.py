"""Pure content loading: a lessons directory in, immutable course data out. No Flask here."""

from app.content.loader import SUPPORTED_LANGUAGES, ContentError, Problem, load_course
from app.content.model import Course, Lesson, LessonText, Reading

__all__ = [
    "SUPPORTED_LANGUAGES",
    "ContentError",
    "Course",
    "Lesson",
    "LessonText",
    "Problem",
    "Reading",
    "load_course",
]
