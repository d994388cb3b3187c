"""Findings letters: one per eligible trust, drafted from the scores, published, superseded."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.auth.permissions import Principal, Role
from app.config import get_settings
from app.errors import Conflict, NotFound
from app.models import Case, Establishment, FindingsLetter, Inspection, Programme, Trust, utcnow
from app.models.documents import (
    ChoiceLabel,
    Distribution,
    InspectionDates,
    LetterContent,
    LetterFigures,
    LetterJudgement,
    LetterQuestion,
    LetterRecord,
    LetterTheme,
    Named,
    NamedArea,
    Signatory,
    ThemeMean,
)
from app.models.inspection import InspectionStatus
from app.models.letter import LetterRead, LetterStatus
from app.models.page import Page
from app.models.scores import QuestionScore, SampleScores
from app.rules.statistics import mean
from app.rules.thresholds import is_improvement, is_strength
from app.services.audit import service as audit
from app.services.cases.service import framework_index
from app.services.evidence.judgements import judgements_for
from app.services.inspections.service import ensure_writable, lock
from app.services.scoring.service import score_inspection
from app.services.webhooks import service as webhooks

# A trust sees the letters released to it: published ones and the corrected versions they replaced.
RELEASED = (LetterStatus.published, LetterStatus.superseded)


def eligible_trusts(session: Session, inspection: Inspection) -> dict[str, int]:
    """Trusts with at least the programme's threshold of the sampled cases, and their counts."""
    programme = session.get(Programme, inspection.programme_code)
    threshold = programme.letter_threshold if programme else 10
    rows = session.exec(
        select(Case.home_trust, func.count())
        .where(Case.inspection_id == inspection.id)
        .group_by(Case.home_trust)
        .having(func.count() >= threshold)
    ).all()
    return dict(sorted(rows))


def _figures(question: QuestionScore) -> LetterFigures:
    return LetterFigures(yes=question.yes, relevant=question.relevant, percent=question.percent)


def _case_questions(
    scores: SampleScores, subjects: set[str]
) -> dict[str, tuple[str, QuestionScore]]:
    """Each case question's figures by code, with the instrument it belongs to."""
    return {
        question.code: (instrument.code, question)
        for instrument in scores.instruments
        if instrument.code in subjects
        for question in instrument.questions
    }


def sample_areas(session: Session, inspection: Inspection) -> int:
    """How many probation areas the inspection's sampled cases belong to."""
    return session.exec(
        select(func.count(func.distinct(Case.home_trust))).where(
            Case.inspection_id == inspection.id
        )
    ).one()


def letter_content(
    session: Session,
    inspection: Inspection,
    trust: Trust,
    case_count: int,
    sample: SampleScores,
) -> LetterContent:
    """Everything a letter says, frozen into the row so a published letter never changes."""
    index = framework_index(session, inspection)
    case_instruments = {
        instrument.code for instrument in index.document.instruments if instrument.subject == "case"
    }
    choices = {
        question.code: [ChoiceLabel(value=c.value, label=c.label) for c in question.choices]
        for instrument in index.document.instruments
        for question in instrument.questions
        if question.choices
    }
    own = _case_questions(score_inspection(session, inspection, trust=trust.code), case_instruments)
    whole = _case_questions(sample, case_instruments)
    questions = [
        LetterQuestion(
            code=code,
            instrument=instrument,
            theme=question.theme,
            text=question.text,
            trust=_figures(question),
            sample=_figures(whole[code][1]),
            choices=choices.get(code),
            distribution=Distribution(
                trust=question.distribution or {},
                sample=whole[code][1].distribution or {},
            )
            if code in choices
            else None,
        )
        for code, (instrument, question) in own.items()
    ]
    by_theme: dict[str | None, list[LetterQuestion]] = defaultdict(list)
    for question in questions:
        by_theme[question.theme].append(question)
    themes = [
        LetterTheme(
            code=theme.code,
            title=theme.title,
            trust=ThemeMean(mean=mean(q.trust.percent for q in by_theme[theme.code])),
            sample=ThemeMean(mean=mean(q.sample.percent for q in by_theme[theme.code])),
        )
        for theme in index.document.themes
        if by_theme.get(theme.code)
    ]
    establishment = (
        session.get(Establishment, inspection.establishment_code)
        if inspection.establishment_code
        else None
    )
    settings = get_settings()
    return LetterContent(
        inspection_dates=InspectionDates(
            fieldwork_start=inspection.fieldwork_start, fieldwork_end=inspection.fieldwork_end
        ),
        programme=inspection.programme_code,
        trust=NamedArea(code=trust.code, name=trust.name, kind=str(trust.kind)),
        establishment=Named(code=establishment.code, name=establishment.name)
        if establishment
        else None,
        case_count=case_count,
        sample_case_count=sample.cases,
        sample_areas=sample_areas(session, inspection),
        questions=questions,
        themes=themes,
        strengths=[q.code for q in questions if is_strength(q.trust.percent, q.trust.relevant)],
        improvements=[
            q.code for q in questions if is_improvement(q.trust.percent, q.trust.relevant)
        ],
        recommendations=list(inspection.recommendations),
        judgements=[LetterJudgement.model_validate(j) for j in judgements_for(session, inspection)],
        signatory=Signatory(
            name=settings.letter_signatory_name, title=settings.letter_signatory_title
        ),
    )


def generate(
    session: Session, principal: Principal, inspection: Inspection
) -> list[FindingsLetter]:
    """(Re)draft a letter for every eligible trust, replacing that trust's older drafts."""
    # Generations of one inspection queue on its row, so racing calls draft one letter per
    # trust each in turn; the unique indexes on findings_letter are the last word.
    lock(session, inspection)
    ensure_writable(inspection)
    if inspection.status == InspectionStatus.planned:
        raise Conflict(
            "letters are drafted from fieldwork findings; the inspection is still planned"
        )
    eligible = eligible_trusts(session, inspection)
    existing = session.exec(
        select(FindingsLetter).where(FindingsLetter.inspection_id == inspection.id)
    ).all()
    for draft in (letter for letter in existing if letter.status == LetterStatus.draft):
        session.delete(draft)
    session.flush()
    sample = score_inspection(session, inspection)
    letters = []
    for code, count in eligible.items():
        trust = session.get(Trust, code)
        assert trust is not None
        released = [
            letter
            for letter in existing
            if letter.trust_code == code and letter.status == LetterStatus.published
        ]
        previous = released[0] if released else None
        letter = FindingsLetter(
            inspection_id=inspection.id,
            trust_code=code,
            version=(previous.version + 1) if previous else 1,
            supersedes_id=previous.id if previous else None,
            content=as_json(letter_content(session, inspection, trust, count, sample)),
            created_by=principal.subject,
        )
        session.add(letter)
        letters.append(letter)
    _flush_or_conflict(session)
    audit.record(
        session,
        principal,
        "findings_letters.generated",
        "inspection",
        inspection.id,
        None,
        {"letters": [letter.id for letter in letters], "trusts": list(eligible)},
    )
    return letters


def as_json(content: LetterContent) -> dict[str, Any]:
    """Content as plain JSON values (dates as ISO strings), as the JSON column stores it.
    Choice fields stay away from yes/no questions, so their JSON is as it always was."""
    stored = content.model_dump(mode="json")
    for question in stored["questions"]:
        for key in ("choices", "distribution"):
            if question[key] is None:
                del question[key]
    return stored


def _flush_or_conflict(session: Session) -> None:
    """Flush; a unique index refusing the rows means another call won the race: 409."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "another request changed this inspection's letters at the same time; retry"
        ) from exc


def publish(session: Session, principal: Principal, letter: FindingsLetter) -> FindingsLetter:
    """Release a draft; the trust's letter published before it, if any, is superseded."""
    inspection = session.get(Inspection, letter.inspection_id)
    assert inspection is not None
    # Publications queue on the inspection like generations; re-read the letter under it.
    lock(session, inspection)
    ensure_writable(inspection)
    session.refresh(letter)
    if letter.status != LetterStatus.draft:
        raise Conflict(f"only a draft can be published; this letter is {letter.status}")
    now = utcnow()
    current = session.exec(
        select(FindingsLetter).where(
            FindingsLetter.inspection_id == letter.inspection_id,
            FindingsLetter.trust_code == letter.trust_code,
            FindingsLetter.status == LetterStatus.published,
        )
    ).all()
    for previous in current:
        previous.status, previous.updated_at = LetterStatus.superseded, now
        previous.superseded_by_id = letter.id
        session.add(previous)
    # The old one leaves "published" before the new one enters it: the index checks each row.
    _flush_or_conflict(session)
    # At most one: the unique index allows one published letter per trust and inspection.
    superseded = current[0] if current else None
    letter.status, letter.published_at, letter.updated_at = LetterStatus.published, now, now
    letter.published_by = principal.subject
    session.add(letter)
    _flush_or_conflict(session)
    audit.record(
        session,
        principal,
        "findings_letter.published",
        "findings_letter",
        letter.id,
        {"status": "draft"},
        {"status": "published", "version": letter.version, "supersedes": letter.supersedes_id},
    )
    # In this transaction: the events exist exactly when the publication does.
    webhooks.announce_published(session, letter, superseded)
    return letter


def trust_scope(principal: Principal) -> str | None:
    """The trust a caller is confined to, or None when a role lets it read every letter."""
    if principal.roles - {Role.trust}:
        return None
    return principal.trust or "\0no-trust"


def get_visible(session: Session, principal: Principal, letter_id: str) -> FindingsLetter:
    """The letter, or 404 for anything the caller may not see (never a hint that it exists)."""
    letter = session.get(FindingsLetter, letter_id)
    confined = trust_scope(principal)
    if letter is None or (
        confined is not None and (letter.trust_code != confined or letter.status not in RELEASED)
    ):
        raise NotFound("no such findings letter")
    return letter


def _state_and_content(letter: FindingsLetter) -> dict[str, Any]:
    """The row's state beside its frozen content, as plain values for the typed reads."""
    published = letter.published_at or None
    return {
        "id": letter.id,
        "inspection": letter.inspection_id,
        "status": letter.status,
        "version": letter.version,
        "supersedes": letter.supersedes_id,
        "superseded_by": letter.superseded_by_id,
        "published_at": letter.published_at,
        "updated_at": letter.updated_at,
        "generated_at": letter.generated_at,
        "letter_date": (published or letter.generated_at).date().isoformat(),
        **letter.content,
    }


def record(letter: FindingsLetter) -> LetterRecord:
    """The letter's content and state, typed: what its document is written from."""
    return LetterRecord.model_validate(_state_and_content(letter))


def to_read(letter: FindingsLetter) -> LetterRead:
    """The letter as the API answers it."""
    return LetterRead.model_validate(_state_and_content(letter))


def listing(
    session: Session,
    principal: Principal,
    *,
    limit: int,
    offset: int,
    trust: str | None = None,
    inspection: str | None = None,
    status: LetterStatus | None = None,
    updated_since: datetime | None = None,
) -> Page[LetterRead]:
    filters: list[ColumnElement[bool]] = []
    confined = trust_scope(principal)
    if confined is not None:
        filters += [
            col(FindingsLetter.trust_code) == confined,
            col(FindingsLetter.status).in_(RELEASED),
        ]
    if trust:
        filters.append(col(FindingsLetter.trust_code) == trust)
    if inspection:
        filters.append(col(FindingsLetter.inspection_id) == inspection)
    if status:
        filters.append(col(FindingsLetter.status) == status)
    if updated_since:
        filters.append(col(FindingsLetter.updated_at) > updated_since)
    total = session.exec(select(func.count()).select_from(FindingsLetter).where(*filters)).one()
    rows = session.exec(
        select(FindingsLetter)
        .where(*filters)
        .order_by(col(FindingsLetter.updated_at).desc(), col(FindingsLetter.id))
        .limit(limit)
        .offset(offset)
    ).all()
    return Page(items=[to_read(row) for row in rows], total=total, limit=limit, offset=offset)
