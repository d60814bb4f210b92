"""Which passwords a new account or a new password may use (OWASP ASVS 4.0.3, 2.1): long
enough, any characters, and not easily guessed: not among the commonly used and breached
passwords, not built from the person's email or name, not a pattern.

Without Flask: the forms and `flask users create` both ask `password_problem`, and each
says the answer in its own reader's language."""

from __future__ import annotations

import enum
import functools
import re
import threading
import unicodedata

MIN_PASSWORD_LENGTH = 12  # ASVS 2.1.1
# ASVS 2.1.2 asks for at least 64; the bound keeps hashing a password cheap.
MAX_PASSWORD_LENGTH = 128

# zxcvbn refuses longer input; the characters after these only add to a password's strength.
ESTIMATED_LENGTH = 72

# Pieces this short would match single letters of any password, not a name.
SHORTEST_PERSONAL_PIECE = 3


class PasswordProblem(enum.Enum):
    TOO_SHORT = "too-short"
    TOO_LONG = "too-long"
    COMMON = "common"
    PERSONAL = "personal"
    PREDICTABLE = "predictable"


@functools.cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn is imported at first use: at import it ranks its word lists, which every
    # start of the app would otherwise wait for.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


# zxcvbn keeps the words of the person it is asked about in a module-wide dictionary while it
# estimates: two threads at once could each be checked against the other's email.
_estimating = threading.Lock()


def _estimate(password: str, personal: list[str]) -> tuple[int, bool]:
    """zxcvbn's score (0 to 4), and whether its best guess uses the person's own words."""
    from zxcvbn import zxcvbn

    with _estimating:
        result = zxcvbn(password[:ESTIMATED_LENGTH], user_inputs=personal)
    uses_personal = any(
        match.get("dictionary_name") == "user_inputs" for match in result["sequence"]
    )
    return result["score"], uses_personal


def _without_accents(text: str) -> str:
    return "".join(
        character
        for character in unicodedata.normalize("NFKD", text)
        if not unicodedata.combining(character)
    )


def personal_words(email: str = "", name: str = "") -> list[str]:
    """What a guesser who knows the person would try first: the email whole, before the @
    and in its pieces, the domain's first label; the name whole and word by word. Each also
    without accents, as people often type their names."""
    words: list[str] = []
    email = email.strip().lower()
    if email:
        local, _at, domain = email.partition("@")
        words += [email, local, *re.split(r"[._+\-]+", local), domain.split(".", 1)[0]]
    name = name.strip().lower()
    if name:
        words += [name, *name.split()]
    words += [_without_accents(word) for word in words]
    return list(dict.fromkeys(word for word in words if len(word) >= SHORTEST_PERSONAL_PIECE))


def password_problem(password: str, *, email: str = "", name: str = "") -> PasswordProblem | None:
    """Why `password` may not be used by the person with this email and name, or None.
    Its length is in NFKC-normalised code points, so that an accented letter counts once
    whether the keyboard composed it or not."""
    normalised = unicodedata.normalize("NFKC", password)
    if len(normalised) < MIN_PASSWORD_LENGTH:
        return PasswordProblem.TOO_SHORT
    if len(normalised) > MAX_PASSWORD_LENGTH:
        return PasswordProblem.TOO_LONG
    if normalised.lower() in _common_passwords():
        return PasswordProblem.COMMON
    score, uses_personal = _estimate(normalised, personal_words(email, name))
    if uses_personal and score < 4:
        return PasswordProblem.PERSONAL
    if score < 3:
        return PasswordProblem.PREDICTABLE
    return None
