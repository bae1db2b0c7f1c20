"""Use cases of study groups: the bot joining or leaving, migration, leaderboard, stats, recap."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction

from sqlalchemy import Integer, cast, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.content.schema import Catalog, Course, Question
from bot.db import repo
from bot.db.engine import Database
from bot.db.models import (
    Answer,
    Chat,
    Delivery,
    Member,
    Membership,
    Schedule,
    SentQuestion,
    StudyDay,
)
from bot.kinds import GROUP_KINDS, ChatKind, DeliveryKind, DeliveryStatus
from bot.progress.streak import StreakInfo, compute_streak, local_day
from bot.scheduling.due import ScheduleSpec, next_due, parse_time, tzinfo_for
from bot.study import schedules
from bot.study.enrolment import identify
from bot.study.types import Who

TOP = 10  # rows of each leaderboard
RECAP_WINDOW = timedelta(days=7)  # "this week" of the recap: the seven days before it
RECAP_GRACE = timedelta(hours=12)  # a recap later than this (bot was down) is skipped
MISSED_SIZE = 3
WARMUP_SIZE = 3


# --- joining, leaving, migration ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JoinOutcome:
    """The bot is in a chat (again): what to say there."""

    chat_id: int
    is_group: bool
    new_chat: bool
    course_id: str | None
    next_due: datetime | None


def reschedule_recap(chat: Chat, schedule: Schedule, *, now: datetime) -> datetime | None:
    """Set the weekly recap's next due instant (None when off or the chat is inactive)."""
    due = None
    if chat.active and schedule.recap_day is not None and schedule.recap_time:
        spec = ScheduleSpec(
            times=(parse_time(schedule.recap_time),),
            days=frozenset({schedule.recap_day}),
            tz=schedule.timezone,
        )
        due = next_due(spec, after=now)
    schedule.recap_next_due_at = due
    return due


async def bot_joined(
    db: Database,
    *,
    chat_id: int,
    kind: str,
    title: str | None,
    added_by: Who | None,
    default_tz: str,
    now: datetime,
) -> JoinOutcome:
    """The bot was added to a group (or unblocked in private): active again, rescheduled."""
    async with db.begin() as session:
        chat, created = await repo.upsert_chat(
            session, tg_chat_id=chat_id, kind=kind, title=title, now=now
        )
        assert chat.id is not None
        chat.active = True
        if kind in GROUP_KINDS:
            chat.kind = kind
        chat.updated_at = now
        session.add(chat)
        schedule = await repo.ensure_schedule(session, chat, timezone=default_tz)
        schedules.reschedule(chat, schedule, now=now)
        reschedule_recap(chat, schedule, now=now)
        session.add(schedule)
        if kind == ChatKind.PRIVATE:
            member = await repo.get_member(session, chat_id)
            if member is not None and member.blocked:
                member.blocked = False
                session.add(member)
        elif added_by is not None:
            await identify(session, added_by, now=now)
        return JoinOutcome(
            chat_id=chat_id,
            is_group=kind in GROUP_KINDS,
            new_chat=created,
            course_id=chat.course_id,
            next_due=schedule.next_due_at,
        )


async def mark_member_blocked(db: Database, *, user_id: int, now: datetime) -> None:
    """A private send answered 403: no more private follow-ups until the user is back."""
    async with db.begin() as session:
        member = await repo.get_member(session, user_id)
        if member is not None:
            member.blocked = True
            session.add(member)
        chat = await repo.get_chat(session, user_id)
        if chat is not None and chat.kind == ChatKind.PRIVATE and chat.active:
            chat.active = False
            chat.updated_at = now
            session.add(chat)
            schedule = await repo.get_schedule(session, chat.id) if chat.id else None
            if schedule is not None:
                schedule.next_due_at = None
                session.add(schedule)


async def migrate_chat(db: Database, *, old_chat_id: int, new_chat_id: int, now: datetime) -> str:
    """Move a group to its supergroup id; return "moved", "unchanged" or "conflict".

    Idempotent: the service message arrives in both chats, and the second one finds nothing
    left under the old id. A row for the new id that was created first (a command in the new
    supergroup) is dropped when it holds no questions or answers; otherwise nothing moves.
    """
    async with db.begin() as session:
        old = await repo.get_chat(session, old_chat_id)
        if old is None or old_chat_id == new_chat_id:
            return "unchanged"
        new = await repo.get_chat(session, new_chat_id)
        if new is not None:
            assert new.id is not None
            used = (
                await session.exec(
                    select(SentQuestion.id).where(SentQuestion.chat_id == new.id).limit(1)
                )
            ).first()
            if used is not None:
                return "conflict"
            await session.delete(new)
            await session.flush()  # free the unique tg_chat_id before taking it
        old.tg_chat_id = new_chat_id
        old.kind = ChatKind.SUPERGROUP
        old.updated_at = now
        session.add(old)
        return "moved"


# --- visibility and admin settings ------------------------------------------------------------


async def set_hidden(db: Database, *, who: Who, hidden: bool, now: datetime) -> bool:
    """Leave (or rejoin) the group's leaderboard; return whether anything changed."""
    async with db.begin() as session:
        chat, member, _created = await identify(session, who, now=now)
        link = await repo.ensure_membership(session, chat=chat, member=member, now=now)
        if link.hidden == hidden:
            return False
        link.hidden = hidden
        session.add(link)
        return True


async def set_stats_in_private(db: Database, *, who: Who, on: bool, now: datetime) -> bool:
    """Switch the group's /mystats answers to private messages; return the new value."""
    async with db.begin() as session:
        chat, _member, _created = await identify(session, who, now=now)
        chat.stats_in_private = on
        chat.updated_at = now
        session.add(chat)
        return chat.stats_in_private


async def stats_in_private(db: Database, *, chat_id: int) -> bool:
    """Tell whether the group sends /mystats answers in private."""
    async with db.read() as session:
        chat = await repo.get_chat(session, chat_id)
        return chat is not None and chat.stats_in_private


@dataclass(frozen=True, slots=True)
class RecapSetting:
    """When the weekly recap comes (day None: off)."""

    day: int | None
    at: str | None
    timezone: str
    next_due: datetime | None


async def set_recap(
    db: Database,
    *,
    who: Who,
    day: int | None,
    at: time | None,
    default_tz: str,
    now: datetime,
) -> RecapSetting:
    """Set (or with day None switch off) the weekly recap of a group."""
    async with db.begin() as session:
        chat, _member, _created = await identify(session, who, now=now)
        schedule = await repo.ensure_schedule(session, chat, timezone=default_tz)
        schedule.recap_day = day
        schedule.recap_time = f"{at.hour:02d}:{at.minute:02d}" if day is not None and at else None
        reschedule_recap(chat, schedule, now=now)
        session.add(schedule)
        return _recap_setting(schedule)


async def recap_setting(db: Database, *, chat_id: int) -> RecapSetting | None:
    """Return the group's recap setting (None for an unknown chat)."""
    async with db.read() as session:
        chat = await repo.get_chat(session, chat_id)
        if chat is None or chat.id is None:
            return None
        schedule = await repo.get_schedule(session, chat.id)
        if schedule is None:
            return RecapSetting(day=None, at=None, timezone="UTC", next_due=None)
        return _recap_setting(schedule)


def _recap_setting(schedule: Schedule) -> RecapSetting:
    return RecapSetting(
        day=schedule.recap_day,
        at=schedule.recap_time,
        timezone=schedule.timezone,
        next_due=schedule.recap_next_due_at,
    )


@dataclass(frozen=True, slots=True)
class GroupIntro:
    """What a non-admin's /start in a group is told."""

    course_title: str | None
    lessons_done: int
    lessons_total: int


async def register_member(
    db: Database, catalog: Catalog, *, who: Who, now: datetime
) -> GroupIntro:
    """Record a member who spoke to the bot in a group; say which course the group studies."""
    async with db.begin() as session:
        chat, _member, _created = await identify(session, who, now=now)
        assert chat.id is not None
        course = catalog.course(chat.course_id) if chat.course_id else None
        done = len(await repo.done_lesson_ids(session, chat.id, course.id)) if course else 0
        return GroupIntro(
            course_title=course.title if course else None,
            lessons_done=done,
            lessons_total=len(course.lessons) if course else 0,
        )


# --- leaderboard --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tally:
    """One member's answers in a group over some period."""

    member_pk: int
    name: str
    correct: int
    answered: int

    @property
    def accuracy(self) -> Fraction:
        """Return the share of right answers (exact, so ties compare equal)."""
        return Fraction(self.correct, self.answered) if self.answered else Fraction(0)


@dataclass(frozen=True, slots=True)
class Standing:
    """A member's place on a board."""

    place: int
    tally: Tally


def rank(tallies: Iterable[Tally]) -> list[Standing]:
    """Order by correct answers, ties broken by accuracy; equal figures share a place."""
    ordered = sorted(
        tallies, key=lambda x: (-x.correct, -x.accuracy, x.name.casefold(), x.member_pk)
    )
    out: list[Standing] = []
    for index, tally in enumerate(ordered):
        previous = out[-1] if out else None
        same = previous is not None and (previous.tally.correct, previous.tally.accuracy) == (
            tally.correct,
            tally.accuracy,
        )
        out.append(Standing(place=previous.place if same and previous else index + 1, tally=tally))
    return out


@dataclass(frozen=True, slots=True)
class Board:
    """The top of a ranking, plus the caller's own place when it is further down."""

    top: tuple[Standing, ...]
    me: Standing | None
    ranked: int


def board(standings: Sequence[Standing], *, me_pk: int | None, size: int = TOP) -> Board:
    """Cut a ranking to its top rows and find the caller below them."""
    top = tuple(standings[:size])
    mine = next((s for s in standings[size:] if s.tally.member_pk == me_pk), None)
    return Board(top=top, me=mine, ranked=len(standings))


@dataclass(frozen=True, slots=True)
class Leaderboard:
    """This week's and the all-time board of a group."""

    week: Board
    all_time: Board
    week_start: date
    me_pk: int
    me_hidden: bool


def week_start(now: datetime, tz: str) -> tuple[date, datetime]:
    """Return the local Monday of `now`'s ISO week in `tz` and its midnight as aware UTC."""
    zone = tzinfo_for(tz)
    today = local_day(now, zone)
    monday = today - timedelta(days=today.weekday())
    midnight = datetime.combine(monday, time(0, 0), tzinfo=zone).astimezone(UTC)
    return monday, midnight


async def _tallies(
    session: AsyncSession, chat_pk: int, *, since: datetime | None
) -> tuple[list[Tally], set[int]]:
    """Return every answering member's tally in a chat and the hidden members' pks."""
    query = (
        select(
            Answer.member_id,
            Member.first_name,
            func.sum(cast(col(Answer.correct), Integer)),
            func.count(),
        )
        .join(Member, col(Member.id) == col(Answer.member_id))
        .where(Answer.chat_id == chat_pk)
        .group_by(col(Answer.member_id), col(Member.first_name))
    )
    if since is not None:
        query = query.where(col(Answer.answered_at) >= since)
    rows = (await session.exec(query)).all()
    hidden = set(
        (
            await session.exec(
                select(Membership.member_id).where(
                    Membership.chat_id == chat_pk, col(Membership.hidden).is_(True)
                )
            )
        ).all()
    )
    tallies = [
        Tally(
            member_pk=int(pk),
            name=name or "?",
            correct=int(right or 0),
            answered=int(total),
        )
        for pk, name, right, total in rows
    ]
    return tallies, hidden


async def leaderboard(db: Database, *, who: Who, now: datetime) -> Leaderboard:
    """Rank the group's visible members this ISO week (group's time zone) and all time."""
    async with db.begin() as session:
        chat, member, _created = await identify(session, who, now=now)
        assert chat.id is not None
        assert member.id is not None
        schedule = await repo.get_schedule(session, chat.id)
        tz = schedule.timezone if schedule is not None else "UTC"
        monday, since = week_start(now, tz)
        boards = []
        hidden: set[int] = set()
        for start in (since, None):
            tallies, hidden = await _tallies(session, chat.id, since=start)
            visible = [x for x in tallies if x.member_pk not in hidden]
            boards.append(board(rank(visible), me_pk=member.id))
        return Leaderboard(
            week=boards[0],
            all_time=boards[1],
            week_start=monday,
            me_pk=member.id,
            me_hidden=member.id in hidden,
        )


# --- a member's own figures ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ObjectiveScore:
    """Right answers out of all answers on one objective."""

    title: str
    correct: int
    answered: int


@dataclass(frozen=True, slots=True)
class MemberStats:
    """A member's own figures in one group."""

    first_name: str
    course_title: str | None
    answered: int
    correct: int
    objectives: tuple[ObjectiveScore, ...]
    streak: StreakInfo
    send_private: bool


def _objective_scores(
    course: Course | None, counts: dict[str, tuple[int, int]]
) -> tuple[ObjectiveScore, ...]:
    """Order objective scores as the course lists its objectives (unknown ones last)."""
    order = [o.id for o in course.objectives] if course else []
    keys = [k for k in order if k in counts] + sorted(k for k in counts if k not in order)
    out = []
    for key in keys:
        objective = course.objective(key) if course else None
        right, total = counts[key]
        out.append(
            ObjectiveScore(
                title=objective.title if objective else key or "—", correct=right, answered=total
            )
        )
    return tuple(out)


async def _objective_counts(
    session: AsyncSession,
    chat_pk: int,
    *,
    member_pk: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, tuple[int, int]]:
    query = (
        select(Answer.objective, func.sum(cast(col(Answer.correct), Integer)), func.count())
        .where(Answer.chat_id == chat_pk)
        .group_by(col(Answer.objective))
    )
    if member_pk is not None:
        query = query.where(Answer.member_id == member_pk)
    if since is not None:
        query = query.where(col(Answer.answered_at) > since)
    if until is not None:
        query = query.where(col(Answer.answered_at) <= until)
    rows = (await session.exec(query)).all()
    return {objective: (int(right or 0), int(total)) for objective, right, total in rows}


async def member_stats(db: Database, catalog: Catalog, *, who: Who, now: datetime) -> MemberStats:
    """Return the caller's answers, accuracy per objective and streak in this group."""
    async with db.begin() as session:
        chat, member, _created = await identify(session, who, now=now)
        assert chat.id is not None
        assert member.id is not None
        course = catalog.course(chat.course_id) if chat.course_id else None
        counts = await _objective_counts(session, chat.id, member_pk=member.id)
        schedule = await repo.get_schedule(session, chat.id)
        tz = member.timezone or (schedule.timezone if schedule is not None else "UTC")
        days = (
            await session.exec(select(col(StudyDay.day)).where(StudyDay.member_id == member.id))
        ).all()
        streak = compute_streak(days, today=local_day(now, tzinfo_for(tz)))
        return MemberStats(
            first_name=member.first_name,
            course_title=course.title if course else None,
            answered=sum(total for _right, total in counts.values()),
            correct=sum(right for right, _total in counts.values()),
            objectives=_objective_scores(course, counts),
            streak=streak,
            send_private=chat.stats_in_private and member.started_private and not member.blocked,
        )


# --- weekly recap --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecapClaim:
    """A recap this worker claimed and must now send."""

    delivery_id: int
    chat_pk: int
    tg_chat_id: int
    slot_at: datetime


def recap_week_slot(due: datetime, tz: str) -> datetime:
    """Return the key of a recap's week: local Monday 00:00 of its ISO week, as aware UTC."""
    return week_start(due, tz)[1]


async def claim_due_recaps(db: Database, *, now: datetime) -> list[RecapClaim]:
    """Claim every due recap exactly once per (chat, week) and advance its next due instant."""
    claims: list[RecapClaim] = []
    async with db.begin() as session:
        rows = (
            await session.exec(
                select(Schedule, Chat)
                .join(Chat, col(Chat.id) == col(Schedule.chat_id))
                .where(
                    col(Schedule.recap_next_due_at).is_not(None),
                    col(Schedule.recap_next_due_at) <= now,
                    col(Chat.active).is_(True),
                    col(Chat.kind).in_(sorted(GROUP_KINDS)),
                )
            )
        ).all()
        for schedule, chat in rows:
            assert chat.id is not None
            assert schedule.recap_next_due_at is not None
            due = schedule.recap_next_due_at
            slot = recap_week_slot(due, schedule.timezone)
            reschedule_recap(chat, schedule, now=now)
            session.add(schedule)
            late = now - due > RECAP_GRACE
            delivery = Delivery(
                chat_id=chat.id,
                kind=DeliveryKind.RECAP,
                slot_at=slot,
                status=DeliveryStatus.SKIPPED if late else DeliveryStatus.CLAIMED,
                claimed_at=now,
                error="late: the bot was not running" if late else None,
            )
            try:
                async with session.begin_nested():
                    session.add(delivery)
            except IntegrityError:
                continue  # this week's recap was already claimed
            if not late and delivery.id is not None:
                claims.append(
                    RecapClaim(
                        delivery_id=delivery.id,
                        chat_pk=chat.id,
                        tg_chat_id=chat.tg_chat_id,
                        slot_at=slot,
                    )
                )
    return claims


async def finish_recap(
    db: Database,
    *,
    delivery_id: int,
    status: str,
    now: datetime,
    message_id: int | None = None,
    error: str | None = None,
) -> None:
    """Record how sending a claimed recap went."""
    async with db.begin() as session:
        delivery = await session.get(Delivery, delivery_id)
        if delivery is None:
            return
        delivery.status = status
        delivery.attempts += 1
        delivery.message_id = message_id
        delivery.error = error[:500] if error else None
        if status == DeliveryStatus.SENT:
            delivery.sent_at = now
        session.add(delivery)


@dataclass(frozen=True, slots=True)
class MissedQuestion:
    """A question the group got wrong this week."""

    question: Question
    wrong: int
    answered: int


@dataclass(frozen=True, slots=True)
class RecapOut:
    """Everything the weekly recap says."""

    chat_pk: int
    tg_chat_id: int
    course: Course | None
    participants: int
    known: int
    answered: int
    correct: int
    objectives: tuple[ObjectiveScore, ...]
    missed: tuple[MissedQuestion, ...]
    warmup: tuple[Question, ...]


def pick_missed(
    course: Course, per_question: dict[str, tuple[int, int]], *, size: int = MISSED_SIZE
) -> list[MissedQuestion]:
    """Pick the questions answered wrongly most often (then by error rate, then course order)."""
    position = {q.id: i for i, q in enumerate(course.questions)}
    found = []
    for question_id, (right, total) in per_question.items():
        question = course.question(question_id)
        if question is not None and total > right:
            found.append(MissedQuestion(question=question, wrong=total - right, answered=total))
    found.sort(key=lambda m: (-m.wrong, -Fraction(m.wrong, m.answered), position[m.question.id]))
    return found[:size]


def pick_warmup(
    course: Course,
    all_time: dict[str, tuple[int, int]],
    *,
    exclude: set[str],
    size: int = WARMUP_SIZE,
) -> list[Question]:
    """Pick the warm-up: shaky questions (lowest group accuracy), then new ones, then the rest.

    Questions in `exclude` (the week's explained misses, paused ones) are left out unless
    nothing else is left.
    """
    position = {q.id: i for i, q in enumerate(course.questions)}

    def key(question: Question) -> tuple[int, Fraction, int]:
        counts = all_time.get(question.id)
        if counts is None:
            return (1, Fraction(0), position[question.id])  # never asked: new material
        right, total = counts
        accuracy = Fraction(right, total) if total else Fraction(0)
        return (0 if accuracy < 1 else 2, accuracy, position[question.id])

    candidates = sorted((q for q in course.questions if q.id not in exclude), key=key)
    return candidates[:size]


async def weekly_recap(
    db: Database, catalog: Catalog, *, chat_pk: int, now: datetime
) -> RecapOut | None:
    """Gather the group's last seven days: participation, accuracy, misses and a warm-up."""
    since = now - RECAP_WINDOW
    async with db.read() as session:
        chat = await repo.get_chat_by_pk(session, chat_pk)
        if chat is None or not chat.active:
            return None
        window = (
            col(Answer.chat_id) == chat_pk,
            col(Answer.answered_at) > since,
            col(Answer.answered_at) <= now,
        )
        participants = (
            await session.exec(select(func.count(func.distinct(Answer.member_id))).where(*window))
        ).one()
        known = (
            await session.exec(
                select(func.count()).select_from(Membership).where(Membership.chat_id == chat_pk)
            )
        ).one()
        course = catalog.course(chat.course_id) if chat.course_id else None
        counts = await _objective_counts(session, chat_pk, since=since, until=now)
        missed: list[MissedQuestion] = []
        warmup: list[Question] = []
        if course is not None:
            per_question = await _question_counts(session, chat_pk, course.id, window=window)
            missed = pick_missed(course, per_question)
            all_time = await _question_counts(
                session, chat_pk, course.id, window=(col(Answer.chat_id) == chat_pk,)
            )
            paused = await repo.paused_question_ids(session, course.id)
            exclude = {m.question.id for m in missed} | paused
            warmup = pick_warmup(course, all_time, exclude=exclude)
        return RecapOut(
            chat_pk=chat_pk,
            tg_chat_id=chat.tg_chat_id,
            course=course,
            participants=int(participants),
            known=max(int(known), int(participants)),
            answered=sum(total for _right, total in counts.values()),
            correct=sum(right for right, _total in counts.values()),
            objectives=_objective_scores(course, counts),
            missed=tuple(missed),
            warmup=tuple(warmup),
        )


async def _question_counts(
    session: AsyncSession, chat_pk: int, course_id: str, *, window: tuple[object, ...]
) -> dict[str, tuple[int, int]]:
    rows = (
        await session.exec(
            select(Answer.question_id, func.sum(cast(col(Answer.correct), Integer)), func.count())
            .where(*window, Answer.course_id == course_id)  # type: ignore[arg-type]
            .group_by(col(Answer.question_id))
        )
    ).all()
    return {question_id: (int(right or 0), int(total)) for question_id, right, total in rows}
