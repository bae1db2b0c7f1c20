"""Typed bot_data and callback context: what every handler can reach."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock, utcnow
from bot.config import Settings
from bot.content.schema import Catalog
from bot.db.engine import Database
from bot.db.lease import DeliveryLock
from bot.ops.healthserver import HealthServer
from bot.ops.metrics import Metrics, Vitals
from bot.tg.deliverer import Deliverer
from bot.tg.polling import Ledger


@dataclass
class BotData:
    """Services shared by all handlers and jobs (built in post_init)."""

    settings: Settings = field(default_factory=Settings)
    catalog: Catalog = field(default_factory=lambda: Catalog(courses=()))
    clock: Clock = utcnow
    db: Database | None = None
    rng: random.Random = field(default_factory=random.Random)
    metrics: Metrics = field(default_factory=Metrics)
    vitals: Vitals = field(default_factory=Vitals)
    health_server: HealthServer | None = None
    start_jobs: bool = True  # False in tests that drive the jobs themselves
    delivery_lock: DeliveryLock | None = None  # held while this process delivers (SQLite)
    deliverer: Deliverer | None = None  # built on first use (jobs.deliverer_of)
    drain: asyncio.Task[Any] | None = None  # the delivery drain in flight
    unfinished: set[int] = field(default_factory=set)  # updates a database error cut short
    ledger: Ledger | None = None  # durable polling's bookkeeping (polling mode only)
    admin_cache: dict[tuple[int, int], tuple[bool, datetime]] = field(default_factory=dict)


class TutorContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """Callback context with typed access to our services."""

    @property
    def db(self) -> Database:
        """Return the database (open after post_init)."""
        db = self.bot_data.db
        if db is None:
            raise RuntimeError("database is not open yet (post_init has not run)")
        return db

    @property
    def catalog(self) -> Catalog:
        """Return the loaded courses."""
        return self.bot_data.catalog

    @property
    def button(self) -> dict[str, str]:
        """Return the named parts of the pressed button (its callbacks.py pattern matched)."""
        match = self.match
        if match is None:
            raise RuntimeError("not a button handler registered with a callbacks.py pattern")
        return {k: v for k, v in match.groupdict().items() if v is not None}

    def now(self) -> datetime:
        """Return the injected clock's current instant."""
        return self.bot_data.clock()


TutorApp = Application[ExtBot[None], TutorContext, dict[Any, Any], dict[Any, Any], BotData, Any]
