"""Answer cues in a course: figures a test-wise learner could score from without the content.

Pure: it reads a loaded Course and returns figures; `breaches` compares them with thresholds.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from bot.content.schema import Course, Question, QuestionType

ABSOLUTES = frozenset(
    {"always", "only", "every", "never", "cannot", "all", "none", "must", "entirely", "solely"}
)
_STOPWORD_TEXT = """
    about above after again against also among another because been before being below between
    both but could does doing done down during each either else even ever from further have
    having here into itself just more most much must neither other ought over same should some
    such than that their theirs them then there these they this those through under until upon
    very what when where whether which while whom whose will with within without would your
    yours none only every always never cannot entirely solely many make makes made best true
    false statement following correct describes described identify missing word words sentence
    which
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
LETTERS = "ABCDEFGHIJKL"
_WORD = re.compile(r"[a-z][a-z'-]*")


@dataclass(frozen=True, slots=True, kw_only=True)
class Thresholds:
    """A course fails `check --strict` when a figure goes above its threshold."""

    longest_key: float = 0.30  # share of single-answer keys strictly longer than every distractor
    absolute_gap: float = 0.15  # absolutes rate in false statements minus that in true ones
    echo: float = 0.15  # share of single-answer items whose key alone echoes a prompt word
    position: float = 0.40  # share of single-answer keys at any one position ...
    position_min_items: int = 8  # ... checked only with at least this many single items
    per_objective: int = 8  # fewest questions an objective may have


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectiveCues:
    """How one objective is asked: question count, types and styles."""

    questions: int
    types: dict[str, int]
    styles: dict[str, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class CourseCues:
    """The cue figures of one course (shares are 0..1; 0 when there is nothing to count)."""

    course_id: str
    single_items: int
    longest_keys: int
    false_items: int
    false_with_absolute: int
    true_items: int
    true_with_absolute: int
    echoed_keys: int
    key_positions: tuple[int, ...]
    objectives: dict[str, ObjectiveCues]

    @property
    def longest_key_share(self) -> float:
        return _share(self.longest_keys, self.single_items)

    @property
    def absolute_false_rate(self) -> float:
        return _share(self.false_with_absolute, self.false_items)

    @property
    def absolute_true_rate(self) -> float:
        return _share(self.true_with_absolute, self.true_items)

    @property
    def absolute_gap(self) -> float:
        return self.absolute_false_rate - self.absolute_true_rate

    @property
    def echo_share(self) -> float:
        return _share(self.echoed_keys, self.single_items)

    @property
    def position_shares(self) -> tuple[float, ...]:
        return tuple(_share(n, self.single_items) for n in self.key_positions)

    @property
    def max_position_share(self) -> float:
        return max(self.position_shares, default=0.0)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def words(text: str) -> set[str]:
    """Return the content words of a text: lowercase, 4+ letters, no stopwords, no plural -s."""
    found = set()
    for word in _WORD.findall(text.casefold()):
        word = word.strip("'-")
        if len(word) < 4 or word in STOPWORDS:
            continue
        found.add(word[:-1] if len(word) > 4 and word.endswith("s") else word)
    return found


def has_absolute(text: str) -> bool:
    """Return whether a statement holds an absolute word (always, only, never ...)."""
    return any(word in ABSOLUTES for word in _WORD.findall(text.casefold()))


def is_longest_key(question: Question) -> bool:
    """Return whether the key is strictly longer (in characters) than every distractor."""
    key = next(o for o in question.options if o.correct)
    return all(len(key.text) > len(o.text) for o in question.options if not o.correct)


def echoes_prompt(question: Question) -> bool:
    """Return whether a prompt word appears in the key but in no distractor."""
    prompt = words(question.prompt)
    key_words: set[str] = set()
    other_words: set[str] = set()
    for option in question.options:
        (key_words if option.correct else other_words).update(words(option.text))
    return bool((prompt & key_words) - other_words)


def course_cues(course: Course) -> CourseCues:
    """Compute the cue figures of one course."""
    singles = [q for q in course.questions if q.type is QuestionType.SINGLE]
    statements = [q for q in course.questions if q.type is QuestionType.TRUE_FALSE]
    false_items = [q for q in statements if not q.options[0].correct]
    true_items = [q for q in statements if q.options[0].correct]
    width = max((len(q.options) for q in singles), default=0)
    positions = Counter(q.correct_ids[0] for q in singles)
    return CourseCues(
        course_id=course.id,
        single_items=len(singles),
        longest_keys=sum(is_longest_key(q) for q in singles),
        false_items=len(false_items),
        false_with_absolute=sum(has_absolute(q.prompt) for q in false_items),
        true_items=len(true_items),
        true_with_absolute=sum(has_absolute(q.prompt) for q in true_items),
        echoed_keys=sum(echoes_prompt(q) for q in singles),
        key_positions=tuple(positions.get(i, 0) for i in range(width)),
        objectives={o.id: _objective(course, o.id) for o in course.objectives},
    )


def _objective(course: Course, objective_id: str) -> ObjectiveCues:
    questions = course.questions_for_objective(objective_id)
    return ObjectiveCues(
        questions=len(questions),
        types=dict(Counter(q.type.value for q in questions)),
        styles=dict(Counter(q.style.value for q in questions)),
    )


def breaches(cues: CourseCues, limits: Thresholds | None = None) -> list[str]:
    """Return one line per figure above its threshold, naming the course and the figure."""
    t = limits or Thresholds()
    where = f"{cues.course_id}: cue"
    lines = []
    if cues.longest_key_share > t.longest_key:
        lines.append(
            f"{where}: longest-option keys {_pct(cues.longest_key_share)} "
            f"({cues.longest_keys} of {cues.single_items}) > {_pct(t.longest_key)}"
        )
    if cues.absolute_gap > t.absolute_gap:
        lines.append(
            f"{where}: absolute words in false statements {_pct(cues.absolute_false_rate)} "
            f"vs true {_pct(cues.absolute_true_rate)}, gap {_pct(cues.absolute_gap)} "
            f"> {_pct(t.absolute_gap)}"
        )
    if cues.echo_share > t.echo:
        lines.append(
            f"{where}: prompt words echoed only in the key {_pct(cues.echo_share)} "
            f"({cues.echoed_keys} of {cues.single_items}) > {_pct(t.echo)}"
        )
    if cues.single_items >= t.position_min_items:
        for letter, share in zip(LETTERS, cues.position_shares, strict=False):
            if share > t.position:
                lines.append(
                    f"{where}: keys at position {letter} {_pct(share)} > {_pct(t.position)}"
                )
    for objective_id, figures in cues.objectives.items():
        if figures.questions < t.per_objective:
            lines.append(
                f"{where}: objective '{objective_id}' has {figures.questions} questions "
                f"< {t.per_objective}"
            )
    return lines


def _pct(value: float) -> str:
    return f"{round(value * 100)}%"


def cues_json(cues: CourseCues, limits: Thresholds | None = None) -> dict[str, object]:
    """Return the figures as a JSON-ready object (shares rounded to 3 places)."""
    return {
        "single_items": cues.single_items,
        "longest_key_share": round(cues.longest_key_share, 3),
        "absolute_false_rate": round(cues.absolute_false_rate, 3),
        "absolute_true_rate": round(cues.absolute_true_rate, 3),
        "echo_share": round(cues.echo_share, 3),
        "key_position_shares": {
            letter: round(share, 3)
            for letter, share in zip(LETTERS, cues.position_shares, strict=False)
        },
        "objectives": {
            objective_id: {"questions": f.questions, "types": f.types, "styles": f.styles}
            for objective_id, f in cues.objectives.items()
        },
        "breaches": breaches(cues, limits),
    }


def report_lines(cues: CourseCues) -> list[str]:
    """Return a short indented text report of the figures."""
    spread = " ".join(
        f"{letter} {_pct(share)}"
        for letter, share in zip(LETTERS, cues.position_shares, strict=False)
    )
    return [
        "  cues:",
        f"    longest-option keys  {_pct(cues.longest_key_share)} of {cues.single_items} single",
        f"    absolutes            false {_pct(cues.absolute_false_rate)} of {cues.false_items}, "
        f"true {_pct(cues.absolute_true_rate)} of {cues.true_items}",
        f"    echoed in key only   {_pct(cues.echo_share)}",
        f"    key positions        {spread or 'none'}",
        f"    styles               {_styles(cues)}",
    ]


def _styles(cues: CourseCues) -> str:
    """Sum the per-objective style counts over the course, as 'name n, name n'."""
    total: Counter[str] = Counter()
    for figures in cues.objectives.values():
        total.update(figures.styles)
    return ", ".join(f"{name} {count}" for name, count in sorted(total.items())) or "none"
