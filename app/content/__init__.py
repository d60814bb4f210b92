"""Pure content loading: a lessons directory in, immutable course data out. No Flask here."""

from app.content.loader import (
    SUPPORTED_LANGUAGES,
    check_catalogue,
    check_course,
    default_course_slug,
    directory_fingerprint,
    load_course,
)
from app.content.model import Catalogue, Course, Lesson, LessonText, Reading
from app.content.problems import ContentError, Problem
from app.content.register import DataCategory, DataRegister, load_register

__all__ = [
    "SUPPORTED_LANGUAGES",
    "Catalogue",
    "check_catalogue",
    "default_course_slug",
    "directory_fingerprint",
    "ContentError",
    "DataCategory",
    "DataRegister",
    "Course",
    "Lesson",
    "LessonText",
    "Problem",
    "Reading",
    "check_course",
    "load_course",
    "load_register",
]
