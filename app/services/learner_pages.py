"""What a signed-in learner's lesson page shows, gathered in one call: whether they read
its data notice, their progress in the course (the lesson's start recorded the first time
they open it) and their attempts at its quiz, each read once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.content import Course, Lesson
from app.services import privacy, progress, quizzes


@dataclass(frozen=True, slots=True)
class LessonPage:
    acknowledged: bool
    # The lesson where the learner confirmed this same notice, taken as read here.
    same_as: str | None
    progress: progress.CourseProgress
    quiz: quizzes.QuizStatus | None


def lesson_page(
    session: Session,
    user_id: int,
    course: Course,
    lesson: Lesson,
    *,
    notice_version: str,
    language: str,
    opening: bool = True,
) -> LessonPage:
    """The learner's lesson page in `language`. Opening it (`opening`) after acknowledging
    its notice records the lesson's start the first time; a page shown again after a form
    was refused only reads."""
    acknowledgment = privacy.acknowledgment(session, user_id, lesson, notice_version, language)
    if acknowledgment is not None and opening:
        learner_progress = progress.open_lesson(session, user_id, course, lesson, language=language)
    else:
        learner_progress = progress.course_progress(session, user_id, course)
    quiz = (
        quizzes.quiz_status(session, user_id, lesson, learner_progress)
        if lesson.quiz is not None
        else None
    )
    return LessonPage(
        acknowledged=acknowledgment is not None,
        same_as=acknowledgment.same_as if acknowledgment is not None else None,
        progress=learner_progress,
        quiz=quiz,
    )
