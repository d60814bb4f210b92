"""The data register on courses and cohorts: membership is recorded by every lesson, and
invitations are found by the invited address; the register refuses what it cannot read."""

from __future__ import annotations

import pytest

from app.content import ContentError, load_register
from app.content.register import Collected, LegalBasis, ShownWith
from config import TestConfig

REGISTER = load_register(TestConfig.DATA_REGISTER)

ONE_CATEGORY = """
categories:
  - id: groups
    collected: on-request
    legal_basis: contract
    name: {en: Groups, es: Grupos, pt: Turmas}
    data: {en: Your group, es: Tu grupo, pt: A sua turma}
    purpose: {en: Teaching, es: Enseñar, pt: Ensinar}
    retention: {text: {en: A year, es: Un año, pt: Um ano}}
    recipients: {en: Trainers, es: Formadores, pt: Formadores}
    storage:
      - {table: groups, columns: [group_id], erasure: delete, %s}
"""


def test_taking_part_in_a_course_is_in_every_lessons_notice_as_progress_is():
    courses = REGISTER.category("courses")
    assert courses.collected is Collected.EVERY_LESSON
    assert courses.legal_basis is REGISTER.category("progress").legal_basis
    for has_quiz in (False, True):
        assert courses in REGISTER.for_lesson(has_quiz)
    [memberships] = courses.storage
    assert memberships.table == "memberships" and memberships.subject == "user_id"
    assert memberships.shown_with == (ShownWith("cohort_name", "cohort_id", "cohorts", "name"),)


def test_invitations_are_the_invited_persons_found_by_address_and_purged_once_expired():
    invitations = REGISTER.category("invitations")
    [invited] = invitations.storage
    assert (invited.subject, invited.holds) == ("email", "email")
    assert (invited.retention_from, invited.purge.value) == ("expires_at", "delete")
    assert invitations.retention_days == 1
    assert invitations.legal_basis is LegalBasis.LEGITIMATE_INTERESTS
    assert invitations not in REGISTER.for_lesson(True)
    led = REGISTER.category("cohorts-led")
    assert [(s.table, s.subject, s.erasure.value) for s in led.storage] == [
        ("cohort_trainers", "user_id", "delete"),
        ("invitations", "invited_by", "anonymise"),
    ]
    assert "cohorts" in REGISTER.not_personal


def load_storage(tmp_path, storage: str):
    path = tmp_path / "register.yml"
    path.write_text(ONE_CATEGORY % storage, encoding="utf-8")
    [entry] = load_register(path).category("groups").storage
    return entry


def test_a_storage_entry_can_find_the_person_by_address_and_name_what_numbers_stand_for(
    tmp_path,
):
    by_address = load_storage(tmp_path, "subject: email, holds: email")
    assert (by_address.subject, by_address.holds, by_address.shown_with) == ("email", "email", ())
    named = load_storage(
        tmp_path, "subject: user_id, shown_with: {group: group_id -> groups.name, at: x -> y.z}"
    )
    assert named.holds is None
    assert named.shown_with == (
        ShownWith("group", "group_id", "groups", "name"),
        ShownWith("at", "x", "y", "z"),
    )


@pytest.mark.parametrize(
    ("storage", "problem"),
    [
        ("subject: 'owner -> owners.user_id', holds: email", ": holds goes with a plain subject"),
        ("subject: ref, reference: 'user #{id}', holds: email", ": holds goes with a plain"),
        ("subject: user_id, shown_with: {group: group_id}", ".shown_with maps names to"),
        ("subject: user_id, shown_with: {group: group_id -> groups}", ".shown_with maps names"),
        ("subject: user_id, shown_with: {group: '-> groups.name'}", ".shown_with maps names"),
        ("subject: user_id, shown_with: [group_id -> groups.name]", ".shown_with maps names"),
    ],
)
def test_a_storage_entry_the_register_cannot_read_is_refused(tmp_path, storage, problem):
    with pytest.raises(ContentError) as caught:
        load_storage(tmp_path, storage)
    assert f"category groups.storage[0]{problem}" in str(caught.value)
