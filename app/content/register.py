"""The data register: what personal data the platform stores and why, read from YAML.

Pure like the rest of `app.content`. Notices, exports, erasure, the retention purge and the
record of processing are all derived from the `DataRegister` this module returns.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from app.content.problems import ContentError, Problems
from app.content.yaml_text import safe_load

LANGUAGES = ("es", "pt", "en")


class LegalBasis(enum.StrEnum):
    CONTRACT = "contract"
    CONSENT = "consent"
    LEGITIMATE_INTERESTS = "legitimate-interests"
    LEGAL_OBLIGATION = "legal-obligation"


class Collected(enum.StrEnum):
    """When a category is collected, which decides which lesson notices list it."""

    ACCOUNT = "account"
    EVERY_LESSON = "every-lesson"
    LESSONS_WITH_QUIZ = "lessons-with-quiz"
    # Listed only on lessons that name it in their front matter (`collects: [...]`).
    WHEN_DECLARED = "when-declared"
    ON_REQUEST = "on-request"


class Erasure(enum.StrEnum):
    DELETE = "delete"
    ANONYMISE = "anonymise"
    # Rows that name the person only by an account number, which nobody is given again:
    # once the account is gone, they name nobody.
    KEEP = "keep"


class Purge(enum.StrEnum):
    DELETE = "delete"
    ERASE_ACCOUNT = "erase-account"


@dataclass(frozen=True, slots=True)
class ShownWith:
    """`name: column -> table.target`: the `target` column of the `table` row whose id
    `column` holds (the cohort's name beside its number)."""

    name: str
    column: str
    table: str
    target: str


@dataclass(frozen=True, slots=True)
class Storage:
    """Where a category lives: a table, its columns, and how its rows point at the person."""

    table: str
    columns: tuple[str, ...]
    # The column holding the person's users.id, in this table or (with `via`) in another.
    subject: str
    # For rows that point at the person through another table: (table, its users.id column).
    via: tuple[str, str] | None
    erasure: Erasure
    hidden: tuple[str, ...] = ()
    retention_from: str | None = None
    purge: Purge | None = None
    # For a subject column that names the person in text rather than by users.id: the
    # text, with {id} for the account number ("user #{id}").
    reference: str | None = None
    # For a subject column holding another of the person's users columns than their id
    # (the address of someone invited before they had an account): that column's name.
    holds: str | None = None
    # What the export gives beside a number kept in a column, for the reader to know what
    # it stands for: read from the row it points at when exporting, never stored.
    shown_with: tuple[ShownWith, ...] = ()
    # With anonymise: the columns that also say who the person was (a name printed on a
    # certificate), emptied with the subject column.
    clears: tuple[str, ...] = ()
    # For a table that several categories share: the rows of this one, by the value of a
    # column (the outbox's messages of one kind).
    rows_where: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class DataCategory:
    id: str
    collected: Collected
    legal_basis: LegalBasis
    name: Mapping[str, str]
    data: Mapping[str, str]
    purpose: Mapping[str, str]
    retention: Mapping[str, str]
    retention_days: int | None
    # Days an account whose email address was never confirmed is kept after signing up.
    unconfirmed_days: int | None
    recipients: Mapping[str, str]
    storage: tuple[Storage, ...]
    # Hash of everything said about the category: a change makes new notice versions.
    digest: str
    # For legitimate interests (GDPR Art. 6(1)(f)): why they are not overridden by the
    # person's interests, as the notice must say (Art. 13(1)(d)).
    balancing: Mapping[str, str] | None = None
    # The configuration setting without which the platform collects none of it (an outside
    # service's address): notices list the category only while it is set. Export and
    # erasure always reach its tables, which may keep rows from when it was.
    only_when: str | None = None
    # The setting that names who the data is sent to, which the notices show.
    sent_to: str | None = None


@dataclass(frozen=True, slots=True)
class KeptElsewhere:
    """Personal data kept outside the database (logs, backups, files): described in the
    notice and the record of processing, reached by its retention rather than by erasure."""

    id: str
    legal_basis: LegalBasis
    name: Mapping[str, str]
    data: Mapping[str, str]
    purpose: Mapping[str, str]
    balancing: Mapping[str, str] | None
    retention: Mapping[str, str]
    retention_days: int
    recipients: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Cookie:
    """A cookie the platform sets: what for, and how long it lasts (its Max-Age)."""

    name: str
    days: int
    purpose: Mapping[str, str]
    lifetime: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class OptionalPurpose:
    """A use of data that needs the learner's consent, off until they opt in."""

    id: str
    text: Mapping[str, str]
    # Hash of the wording, kept with each consent so it is known what was agreed to.
    version: str


@dataclass(frozen=True, slots=True)
class DataRegister:
    categories: tuple[DataCategory, ...]
    purposes: tuple[OptionalPurpose, ...]
    # Tables that hold no personal data, with the reason.
    not_personal: Mapping[str, str]
    elsewhere: tuple[KeptElsewhere, ...] = ()
    cookies: tuple[Cookie, ...] = ()
    # For the record of processing: whose data, and how it is kept safe (Art. 30(1)).
    data_subjects: Mapping[str, str] = field(default_factory=dict)
    security_measures: Mapping[str, str] = field(default_factory=dict)

    def category(self, category_id: str) -> DataCategory | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def cookie(self, name: str) -> Cookie:
        return next(cookie for cookie in self.cookies if cookie.name == name)

    def purpose(self, purpose_id: str) -> OptionalPurpose | None:
        return next((p for p in self.purposes if p.id == purpose_id), None)

    def for_lesson(
        self,
        has_quiz: bool,
        declared: tuple[str, ...] = (),
        configured: frozenset[str] = frozenset(),
    ) -> tuple[DataCategory, ...]:
        """The categories a lesson records: those of every lesson, quiz answers when it has
        a quiz, and whatever it declares in its front matter; of those that depend on a
        setting, only those whose setting is among the `configured` ones."""
        return tuple(
            category
            for category in self.in_use(configured)
            if category.collected is Collected.EVERY_LESSON
            or (category.collected is Collected.LESSONS_WITH_QUIZ and has_quiz)
            or (category.collected is Collected.WHEN_DECLARED and category.id in declared)
        )

    def in_use(self, configured: frozenset[str]) -> tuple[DataCategory, ...]:
        """The categories collected with these settings set: those that depend on none,
        and those whose setting is set."""
        return tuple(
            category
            for category in self.categories
            if category.only_when is None or category.only_when in configured
        )

    @property
    def settings(self) -> frozenset[str]:
        """The settings some category depends on or names its recipient by."""
        return frozenset(
            name
            for category in self.categories
            for name in (category.only_when, category.sent_to)
            if name is not None
        )

    @property
    def declarable(self) -> frozenset[str]:
        """Category ids a lesson may name in `collects:`."""
        return frozenset(c.id for c in self.categories if c.collected is Collected.WHEN_DECLARED)


def digest(value: Any) -> str:
    """A short, stable hash of plain data (what changes when any word of it changes)."""
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def _texts(raw: Any, where: str, path: Path, problems: Problems) -> Mapping[str, str]:
    if not isinstance(raw, dict) or any(not isinstance(raw.get(lang), str) for lang in LANGUAGES):
        problems.add(path, 1, f"{where} needs a text for each of: {', '.join(LANGUAGES)}")
        return MappingProxyType({})
    return MappingProxyType({lang: raw[lang].strip() for lang in LANGUAGES})


def _enum(kind: type[enum.StrEnum], raw: Any, where: str, path: Path, problems: Problems):
    try:
        return kind(raw)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        problems.add(path, 1, f"{where} must be one of: {choices}, not {raw!r}")
        return None


def _pointer(text: str) -> tuple[str, str, str]:
    """`column -> table.target` as its three names (any of them empty if missing)."""
    column, _, target = (part.strip() for part in text.partition("->"))
    table, _, target_column = target.partition(".")
    return column, table, target_column


def _shown_with(raw: Any, where: str, path: Path, problems: Problems) -> tuple[ShownWith, ...]:
    if raw is None:
        return ()
    if isinstance(raw, dict):
        shown = tuple(ShownWith(str(name), *_pointer(str(to))) for name, to in raw.items())
        if all(entry.column and entry.table and entry.target for entry in shown):
            return shown
    problems.add(path, 1, f"{where}.shown_with maps names to `column -> table.column`")
    return ()


def _storage(raw: dict, where: str, path: Path, problems: Problems) -> Storage | None:
    subject = str(raw.get("subject", ""))
    via = None
    if "->" in subject:
        subject, table, target_column = _pointer(subject)
        via = (table, target_column)
    holds = raw.get("holds")
    if holds is not None and (via is not None or raw.get("reference")):
        problems.add(path, 1, f"{where}: holds goes with a plain subject column")
    erasure = _enum(Erasure, raw.get("erasure"), f"{where}.erasure", path, problems)
    purge = None
    if raw.get("purge") is not None:
        purge = _enum(Purge, raw.get("purge"), f"{where}.purge", path, problems)
    if not raw.get("table") or not subject or not raw.get("columns") or erasure is None:
        problems.add(path, 1, f"{where} needs table, subject, columns and erasure")
        return None
    if (purge is None) != (raw.get("retention_from") is None):
        problems.add(path, 1, f"{where}: purge and retention_from go together")
    if purge is Purge.ERASE_ACCOUNT and raw.get("table") != "users":
        problems.add(path, 1, f"{where}: only the users table can erase accounts")
    clears = tuple(str(column) for column in raw.get("clears", ()))
    if clears and erasure is not Erasure.ANONYMISE:
        problems.add(path, 1, f"{where}: clears goes with anonymise")
    if not set(clears) <= {str(column) for column in raw["columns"]}:
        problems.add(path, 1, f"{where}: clears names columns the entry does not list")
    return Storage(
        table=str(raw["table"]),
        columns=tuple(str(column) for column in raw["columns"]),
        subject=subject,
        via=via,
        erasure=erasure,
        hidden=tuple(str(column) for column in raw.get("hidden", ())),
        retention_from=raw.get("retention_from"),
        purge=purge,
        reference=str(raw["reference"]) if raw.get("reference") else None,
        holds=str(holds) if holds is not None else None,
        shown_with=_shown_with(raw.get("shown_with"), where, path, problems),
        clears=clears,
        rows_where=_rows_where(raw.get("rows_where"), where, path, problems),
    )


def _rows_where(raw: Any, where: str, path: Path, problems: Problems) -> Mapping[str, str]:
    if raw is None:
        return MappingProxyType({})
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        problems.add(path, 1, f"{where}: rows_where maps columns to the text they hold")
        return MappingProxyType({})
    return MappingProxyType({str(column): value for column, value in raw.items()})


def _days(value: Any) -> int | None:
    """A number of days from the register, or None. YAML reads `true` as a bool, which
    Python counts as the int 1: a purge must not take it for one day."""
    return value if type(value) is int and value >= 1 else None


def _balancing(
    item: dict, basis: LegalBasis | None, where: str, path: Path, problems: Problems
) -> Mapping[str, str] | None:
    """The balancing test a use based on legitimate interests must state; no other has one."""
    if basis is LegalBasis.LEGITIMATE_INTERESTS:
        return _texts(item.get("balancing"), f"{where}.balancing", path, problems)
    if item.get("balancing") is not None:
        problems.add(path, 1, f"{where}: only legitimate interests need a balancing text")
    return None


def _elsewhere(item: dict, path: Path, problems: Problems) -> KeptElsewhere | None:
    where = f"elsewhere {item.get('id')}"
    basis = _enum(LegalBasis, item.get("legal_basis"), f"{where}.legal_basis", path, problems)
    retention = item.get("retention") or {}
    days = _days(retention.get("days"))
    if days is None:
        problems.add(path, 1, f"{where}: data kept elsewhere needs retention.days")
    balancing = _balancing(item, basis, where, path, problems)
    if basis is None or days is None:
        return None
    return KeptElsewhere(
        id=str(item.get("id")),
        legal_basis=basis,
        name=_texts(item.get("name"), f"{where}.name", path, problems),
        data=_texts(item.get("data"), f"{where}.data", path, problems),
        purpose=_texts(item.get("purpose"), f"{where}.purpose", path, problems),
        balancing=balancing,
        retention=_texts(retention.get("text"), f"{where}.retention.text", path, problems),
        retention_days=days,
        recipients=_texts(item.get("recipients"), f"{where}.recipients", path, problems),
    )


def _cookie(item: dict, path: Path, problems: Problems) -> Cookie | None:
    where = f"cookie {item.get('name')}"
    days = _days(item.get("days"))
    if not item.get("name") or days is None:
        problems.add(path, 1, f"{where} needs a name and its lifetime in days")
        return None
    return Cookie(
        name=str(item["name"]),
        days=days,
        purpose=_texts(item.get("purpose"), f"{where}.purpose", path, problems),
        lifetime=_texts(item.get("lifetime"), f"{where}.lifetime", path, problems),
    )


def load_register(path: Path | str) -> DataRegister:
    """Read and check the data register; raise ContentError naming what is wrong."""
    path = Path(path)
    problems = Problems()
    raw = safe_load(path.read_text(encoding="utf-8")) or {}
    categories = []
    for index, item in enumerate(raw.get("categories") or []):
        where = f"category {item.get('id', index + 1)}"
        collected = _enum(Collected, item.get("collected"), f"{where}.collected", path, problems)
        basis = _enum(LegalBasis, item.get("legal_basis"), f"{where}.legal_basis", path, problems)
        retention = item.get("retention") or {}
        storage = tuple(
            entry
            for number, entry_raw in enumerate(item.get("storage") or [])
            if (entry := _storage(entry_raw, f"{where}.storage[{number}]", path, problems))
        )
        days = _days(retention.get("days"))
        if any(entry.purge for entry in storage) and days is None:
            problems.add(path, 1, f"{where}: a purged category needs retention.days")
        unconfirmed = _days(retention.get("unconfirmed_days"))
        if retention.get("unconfirmed_days") is not None:
            if unconfirmed is None:
                problems.add(path, 1, f"{where}: retention.unconfirmed_days is a number of days")
            if not any(entry.purge is Purge.ERASE_ACCOUNT for entry in storage):
                problems.add(
                    path, 1, f"{where}: retention.unconfirmed_days needs a purge: erase-account"
                )
        balancing = _balancing(item, basis, where, path, problems)
        if collected is None or basis is None:
            continue
        categories.append(
            DataCategory(
                id=str(item.get("id")),
                collected=collected,
                legal_basis=basis,
                name=_texts(item.get("name"), f"{where}.name", path, problems),
                data=_texts(item.get("data"), f"{where}.data", path, problems),
                purpose=_texts(item.get("purpose"), f"{where}.purpose", path, problems),
                retention=_texts(retention.get("text"), f"{where}.retention.text", path, problems),
                retention_days=days,
                unconfirmed_days=unconfirmed,
                recipients=_texts(item.get("recipients"), f"{where}.recipients", path, problems),
                storage=storage,
                digest=digest(item),
                balancing=balancing,
                only_when=str(item["only_when"]) if item.get("only_when") else None,
                sent_to=str(item["sent_to"]) if item.get("sent_to") else None,
            )
        )
    purposes = []
    for item in raw.get("purposes") or []:
        text = _texts(item.get("text"), f"purpose {item.get('id')}", path, problems)
        purposes.append(OptionalPurpose(str(item.get("id")), text, digest(dict(text))))
    elsewhere = tuple(
        entry for item in raw.get("elsewhere") or [] if (entry := _elsewhere(item, path, problems))
    )
    cookies = tuple(
        cookie for item in raw.get("cookies") or [] if (cookie := _cookie(item, path, problems))
    )
    record = {
        key: _texts(raw[key], key, path, problems) if key in raw else MappingProxyType({})
        for key in ("data_subjects", "security_measures")
    }
    if problems.items:
        raise ContentError(problems.items)
    return DataRegister(
        categories=tuple(categories),
        purposes=tuple(purposes),
        not_personal=MappingProxyType(dict(raw.get("not_personal") or {})),
        elsewhere=elsewhere,
        cookies=cookies,
        data_subjects=record["data_subjects"],
        security_measures=record["security_measures"],
    )
