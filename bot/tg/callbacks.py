"""Every inline button: its prefix, one compiled pattern per action, and a data builder.

Callback data is ``<feature>:<action>[:<arg>...]``. A handler is registered with one of the
patterns below and reads the parts from ``context.match`` (named groups); nothing else in
``bot/tg`` splits callback data. Numbers are bounded (an id has at most 18 digits, below
2**63), so forged data with impossible ids never reaches a handler: it falls through to the
one catch-all that answers "this button has expired".
"""

import re

MAX_BYTES = 64  # Telegram's limit on callback_data

COURSE = "course"  # course:<course-id>
LESSON = "lesson"  # lesson:quiz:<lesson-id> | lesson:next
QUIZ = "q"  # q:a:<sent>:<i> answer | q:t:<sent>:<i> toggle | q:s:<sent> submit
NEXT = "next"  # next:<count> | next:done
UNSURE = "unsure"  # unsure:<sent>
REPORT = "report"  # report:<sent>
SETTINGS = "set"  # set:menu:<what> | set:back | set:type:<key> | set:<key>:<value>
RESET = "reset"  # reset:yes:<course-id> | reset:no
FORGET = "forget"  # forget:yes | forget:no
EXAM = "ex"  # ex:a|t:<sent>:<i> | ex:s:<sent> | ex:c|x|m:<exam> | ex:l:<exam>:<command>
SESSION = "rv"  # rv:next:<purpose>:<answered>
CONFIDENCE = "cf"  # cf:sure:<sent> | cf:guess:<sent>
MORE = "more"  # more:new (today's new-question limit raised)

_ID = r"\d{1,18}"  # a row id: always below 2**63 - 1
_INDEX = r"\d{1,2}"  # a displayed option (at most 10)
_COUNT = r"\d{1,4}"  # questions answered in a session
_SLUG = r"[a-z0-9][a-z0-9-]{0,31}"  # course and lesson ids (content.loader.SLUG)


def _pattern(body: str) -> re.Pattern[str]:
    # PTB calls pattern.match(data): anchor the end too (\Z, not $, which allows a "\n").
    return re.compile(rf"{body}\Z")


COURSE_PICK = _pattern(rf"{COURSE}:(?P<course_id>{_SLUG})")
LESSON_QUIZ = _pattern(rf"{LESSON}:quiz:(?P<lesson_id>{_SLUG})")
LESSON_NEXT = _pattern(rf"{LESSON}:next")
QUIZ_PICK = _pattern(rf"{QUIZ}:(?P<action>a|t):(?P<sent_id>{_ID}):(?P<index>{_INDEX})")
QUIZ_SUBMIT = _pattern(rf"{QUIZ}:(?P<action>s):(?P<sent_id>{_ID})")
NEXT_QUESTION = _pattern(rf"{NEXT}:(?P<count>{_COUNT})")
NEXT_DONE = _pattern(rf"{NEXT}:done")
UNSURE_MARK = _pattern(rf"{UNSURE}:(?P<sent_id>{_ID})")
REPORT_OPEN = _pattern(rf"{REPORT}:(?P<sent_id>{_ID})")
SETTINGS_MENU = _pattern(rf"{SETTINGS}:(?P<action>menu):(?P<value>[a-z]{{1,16}})")
SETTINGS_BACK = _pattern(rf"{SETTINGS}:(?P<action>back)")
SETTINGS_TYPE = _pattern(rf"{SETTINGS}:(?P<action>type):(?P<value>[a-z]{{1,16}})")
SETTINGS_CHANGE = _pattern(
    rf"{SETTINGS}:(?P<action>time|days|tz|course|style|conf):(?P<value>[^:\s][^\s]{{0,59}})"
)
SETTINGS_NUMBER = _pattern(rf"{SETTINGS}:(?P<action>per|new|rev):(?P<value>\d{{1,3}})")
RESET_YES = _pattern(rf"{RESET}:yes:(?P<course_id>{_SLUG})")
RESET_NO = _pattern(rf"{RESET}:no")
FORGET_CHOICE = _pattern(rf"{FORGET}:(?P<choice>yes|no)")
EXAM_PICK = _pattern(rf"{EXAM}:(?P<action>a|t):(?P<sent_id>{_ID}):(?P<index>{_INDEX})")
EXAM_SUBMIT = _pattern(rf"{EXAM}:(?P<action>s):(?P<sent_id>{_ID})")
# c: continue, x: abandon, m: review the misses of exam <exam>
EXAM_CONTROL = _pattern(rf"{EXAM}:(?P<action>c|x|m):(?P<exam_id>{_ID})")
# l: leave exam <exam> to run the study command that was sent during it
EXAM_LEAVE = _pattern(rf"{EXAM}:(?P<action>l):(?P<exam_id>{_ID}):(?P<command>quiz|lesson|review)")
SESSION_NEXT = _pattern(rf"{SESSION}:next:(?P<purpose>[a-z]{{1,16}}):(?P<answered>{_COUNT})")
MORE_NEW = _pattern(rf"{MORE}:new")
CONFIDENCE_RATE = _pattern(rf"{CONFIDENCE}:(?P<choice>sure|guess):(?P<sent_id>{_ID})")


def data(*parts: object) -> str:
    """Join callback data parts, checking Telegram's 1-64 byte limit."""
    joined = ":".join(str(p) for p in parts)
    if not 1 <= len(joined.encode()) <= MAX_BYTES:
        raise ValueError(f"callback data must be 1-{MAX_BYTES} bytes: {joined!r}")
    return joined


def course_pick(course_id: str) -> str:
    """The button that enrols the chat in a course."""
    return data(COURSE, course_id)


def lesson_quiz(lesson_id: str) -> str:
    """The button that starts a lesson's questions."""
    return data(LESSON, "quiz", lesson_id)


def lesson_next() -> str:
    """The button that shows the next lesson."""
    return data(LESSON, "next")


def quiz_option(action: str, sent_id: int, index: int) -> str:
    """A quiz option: action "a" answers with it, "t" toggles it (several right answers)."""
    return data(QUIZ, action, sent_id, index)


def quiz_submit(sent_id: int) -> str:
    """The button that submits the toggled options of a quiz question."""
    return data(QUIZ, "s", sent_id)


def next_question(answered: int) -> str:
    """The "next question" button after `answered` questions of a session."""
    return data(NEXT, answered)


def next_done() -> str:
    """The "done for now" button that ends a session."""
    return data(NEXT, "done")


def unsure(sent_id: int) -> str:
    """The "not sure" button of a question."""
    return data(UNSURE, sent_id)


def report(sent_id: int) -> str:
    """The "report a problem" button of an answered question."""
    return data(REPORT, sent_id)


def settings_menu(what: str) -> str:
    """A /settings button that opens the sub-menu `what`."""
    return data(SETTINGS, "menu", what)


def settings_back() -> str:
    """The /settings button that goes back to the main menu."""
    return data(SETTINGS, "back")


def settings_type(key: str) -> str:
    """A /settings button that asks the learner to type the value of `key`."""
    return data(SETTINGS, "type", key)


def settings_change(key: str, value: object) -> str:
    """A /settings button that saves `value` for `key`."""
    return data(SETTINGS, key, value)


def reset_yes(course_id: str) -> str:
    """The /reset button that confirms resetting a course."""
    return data(RESET, "yes", course_id)


def reset_no() -> str:
    """The /reset button that cancels."""
    return data(RESET, "no")


def forget(choice: str) -> str:
    """The /forgetme button: "yes" deletes everything, "no" cancels."""
    return data(FORGET, choice)


def exam_option(action: str, sent_id: int, index: int) -> str:
    """An exam option: action "a" answers with it, "t" toggles it."""
    return data(EXAM, action, sent_id, index)


def exam_submit(sent_id: int) -> str:
    """The button that submits the toggled options of an exam question."""
    return data(EXAM, "s", sent_id)


def exam_continue(exam_id: int) -> str:
    """The button that continues an unfinished exam."""
    return data(EXAM, "c", exam_id)


def exam_abandon(exam_id: int) -> str:
    """The button that abandons an unfinished exam."""
    return data(EXAM, "x", exam_id)


def exam_misses(exam_id: int) -> str:
    """The button that reviews the questions missed in an exam."""
    return data(EXAM, "m", exam_id)


def exam_leave(exam_id: int, command: str) -> str:
    """The button that leaves a running exam to run `command` (quiz, lesson or review)."""
    return data(EXAM, "l", exam_id, command)


def session_next(purpose: str, answered: int) -> str:
    """The "next" button of a planned review session."""
    return data(SESSION, "next", purpose, answered)


def confidence(choice: str, sent_id: int) -> str:
    """A confidence button after a right answer: "sure" or "guess"."""
    return data(CONFIDENCE, choice, sent_id)


def more_new() -> str:
    """The button that lets the learner take more new questions today than the daily limit."""
    return data(MORE, "new")


def feature_of(data: str) -> str:
    """Return the feature prefix of callback data ("q" for "q:a:12:0"), at most 16 characters."""
    return data.partition(":")[0][:16]
