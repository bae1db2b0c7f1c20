"""Fair update lanes: a group's burst never makes a private learner wait.

PTB's own concurrency admits updates first in, first out, so 2,000 answers in one group queue
everybody behind them. `FairLanes` gives every chat a lane instead:

- within a lane, updates start in the order they arrived; a private chat runs one at a time,
  a group runs up to `group_parallel` (4) at once, but never two of the same user (so each member's
  own updates stay in order, and a quiz burst from many members overlaps);
- across lanes, the free worker slots go round-robin: each turn starts at most one update of a
  lane, then the next lane has its turn; a lane with a backlog goes to the back of the line.

A poll answer carries no chat: its lane is the chat the poll was sent to (a lookup, cached), or
the voter's private chat when the poll is not known. The scheduler itself is synchronous and
pure of Telegram: `Lanes` decides, `FairLanes` plugs it into PTB.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

WORKERS = 32  # updates in flight at once, over all chats
GROUP_PARALLEL = 4  # updates of one group in flight at once (distinct users)
POLL_CACHE = 50_000  # poll id -> chat id, most recent
_NO_LIMIT = 1_000_000  # PTB's own semaphore: admission is the lanes' job

PollChat = Callable[[str], Awaitable[int | None]]


@dataclass(eq=False)
class Ticket:
    """One update waiting for (or holding) a worker slot."""

    lane: Hashable
    user: Hashable | None
    turn: asyncio.Future[None]


@dataclass(eq=False)
class Lane:
    """One chat's updates: waiting in order, and the users with one in flight."""

    limit: int
    waiting: deque[Ticket] = field(default_factory=deque)
    users: list[Hashable | None] = field(default_factory=list)  # in flight
    queued: bool = False  # in the ready line

    def can_start(self) -> bool:
        """Tell whether the lane's first waiting update may start now."""
        if not self.waiting or len(self.users) >= self.limit:
            return False
        user = self.waiting[0].user
        return user is None or user not in self.users


class Lanes:
    """The scheduler: which waiting update gets the next free worker slot."""

    def __init__(self, *, workers: int = WORKERS) -> None:
        self.workers = workers
        self.running = 0
        self._lanes: dict[Hashable, Lane] = {}
        self._ready: deque[Hashable] = deque()

    def add(self, ticket: Ticket, *, limit: int) -> None:
        """Queue an update in its lane, then start what may start."""
        lane = self._lanes.get(ticket.lane)
        if lane is None:
            lane = self._lanes[ticket.lane] = Lane(limit=limit)
        lane.waiting.append(ticket)
        self._enqueue(ticket.lane, lane)
        self.grant()

    def done(self, ticket: Ticket) -> None:
        """An update finished (or gave up its slot): free the slot, start what may start."""
        lane = self._lanes[ticket.lane]
        lane.users.remove(ticket.user)
        self.running -= 1
        self._enqueue(ticket.lane, lane)
        self._forget_if_idle(ticket.lane, lane)
        self.grant()

    def withdraw(self, ticket: Ticket) -> None:
        """Drop an update that never started (its task was cancelled)."""
        lane = self._lanes.get(ticket.lane)
        if lane is not None and ticket in lane.waiting:
            lane.waiting.remove(ticket)
            self._forget_if_idle(ticket.lane, lane)

    def grant(self) -> None:
        """Start waiting updates, one per lane per turn, while worker slots are free."""
        while self.running < self.workers and self._ready:
            key = self._ready.popleft()
            lane = self._lanes.get(key)
            if lane is None:
                continue
            lane.queued = False
            if not lane.can_start():
                continue  # a finishing update puts it back in line
            ticket = lane.waiting.popleft()
            lane.users.append(ticket.user)
            self.running += 1
            if not ticket.turn.done():
                ticket.turn.set_result(None)
            self._enqueue(key, lane)  # to the back of the line: the others go first

    def waiting(self) -> int:
        """Return how many updates wait for a slot."""
        return sum(len(lane.waiting) for lane in self._lanes.values())

    def _enqueue(self, key: Hashable, lane: Lane) -> None:
        if not lane.queued and lane.can_start():
            lane.queued = True
            self._ready.append(key)

    def _forget_if_idle(self, key: Hashable, lane: Lane) -> None:
        if not lane.waiting and not lane.users and not lane.queued:
            del self._lanes[key]


class FairLanes(BaseUpdateProcessor):
    """PTB update processor running each update in its chat's lane (see the module docs)."""

    def __init__(
        self,
        *,
        workers: int = WORKERS,
        group_parallel: int = GROUP_PARALLEL,
        poll_chat: PollChat | None = None,
    ) -> None:
        super().__init__(_NO_LIMIT)
        self.lanes = Lanes(workers=workers)
        self.group_parallel = group_parallel
        self.poll_chat = poll_chat  # set once the database is open
        self._polls: OrderedDict[str, int] = OrderedDict()
        self._lookups: dict[str, asyncio.Future[int | None]] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free: waiting updates are cancelled with their tasks."""

    def remember_poll(self, poll_id: str, chat_id: int) -> None:
        """Note which chat a poll was sent to (its answers go to that chat's lane)."""
        self._polls[poll_id] = chat_id
        self._polls.move_to_end(poll_id)
        while len(self._polls) > POLL_CACHE:
            self._polls.popitem(last=False)

    async def lane_of(self, update: object) -> tuple[Hashable, Hashable | None]:
        """Return an update's lane (its chat) and its user."""
        if not isinstance(update, Update):
            return "other", None
        answer = update.poll_answer
        if answer is not None:
            voter = answer.user.id if answer.user is not None else None
            return await self._chat_of_poll(answer.poll_id, voter), voter
        user = update.effective_user.id if update.effective_user is not None else None
        if update.effective_chat is not None:
            return update.effective_chat.id, user
        if user is not None:
            return ("user", user), user
        return "other", None

    async def _chat_of_poll(self, poll_id: str, voter: int | None) -> Hashable:
        chat = self._polls.get(poll_id)
        if chat is None and self.poll_chat is not None:
            chat = await self._look_up(poll_id)
        if chat is not None:
            return chat
        return voter if voter is not None else "other"

    async def _look_up(self, poll_id: str) -> int | None:
        """Ask the database once per poll, however many answers arrive at the same time."""
        pending = self._lookups.get(poll_id)
        if pending is None:
            assert self.poll_chat is not None
            pending = self._lookups[poll_id] = asyncio.ensure_future(self.poll_chat(poll_id))
        try:
            chat = await asyncio.shield(pending)
        except Exception as exc:  # the handler will meet the same trouble and say so
            log.debug("poll %s: cannot look up its chat: %s", poll_id, exc)
            chat = None
        finally:
            if pending.done():
                self._lookups.pop(poll_id, None)
        if chat is not None:
            self.remember_poll(poll_id, chat)
        return chat

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the update's turn in its lane, then handle it."""
        key, user = await self.lane_of(update)
        limit = self.group_parallel if isinstance(key, int) and key < 0 else 1
        ticket = Ticket(key, user, asyncio.get_running_loop().create_future())
        self.lanes.add(ticket, limit=limit)
        try:
            await ticket.turn
        except asyncio.CancelledError:
            if ticket.turn.done() and not ticket.turn.cancelled():
                self.lanes.done(ticket)
            else:
                self.lanes.withdraw(ticket)
            _close(coroutine)
            raise
        try:
            await coroutine
        finally:
            self.lanes.done(ticket)


def _close(coroutine: Awaitable[Any]) -> None:
    close = getattr(coroutine, "close", None)
    if callable(close):
        close()  # never awaited: say so quietly instead of "coroutine was never awaited"
