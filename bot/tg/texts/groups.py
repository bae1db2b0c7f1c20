"""Texts for study groups (English)."""

EN: dict[str, str] = {
    "grp_welcome": (
        "👋 <b>Hi, {title}! I'm a study tutor for groups.</b>\n\n"
        "<b>Admins:</b> send /start to pick the course and the schedule, /settings to change "
        "it later, <code>/recap fri 18:00</code> for a weekly recap.\n"
        "<b>Everyone:</b> /quiz for a question, /mystats for your own figures, "
        "/leaderboard for the ranking (/hideme to leave it).\n\n"
        "<i>I only read commands, replies to my messages, button presses and quiz answers.</i>"
    ),
    "grp_welcome_back": (
        "👋 <b>I'm back!</b> This group's settings and progress are where you left them. "
        "/quiz for a question, /leaderboard for the ranking."
    ),
    "grp_next_delivery": "⏰ Next lesson: <b>{next}</b> (group time).",
    "grp_admin_only": "🔒 Sorry, only this group's admins can do that.",
    "grp_only_in_groups": "👥 That command works in study groups. Add me to a group to use it.",
    "grp_start_member": (
        "👋 Hi {name}! This group studies <b>{course}</b> ({done}/{total} lessons). "
        "Try /quiz, /mystats or /leaderboard."
    ),
    "grp_start_no_course": (
        "👋 Hi {name}! An admin still has to pick this group's course with /start. "
        "Meanwhile: /mystats, /leaderboard."
    ),
    "grp_start_admin_back": (
        "👋 This group studies <b>{course}</b>: {done}/{total} lessons done. "
        "/settings to change the schedule, <code>/recap fri 18:00</code> for a weekly recap."
    ),
    "grp_enrolled": (
        "📚 This group studies <b>{course}</b> ({lessons} lessons, {questions} questions). "
        "Each member's answers, streak and reviews are their own."
    ),
    "grp_followup": "📚 <b>From your study group</b>\n<i>{prompt}</i>",
    "grp_hidden": (
        "🙈 Done, {name}: you're off the leaderboard (you still learn). /showme to come back."
    ),
    "grp_already_hidden": "🙈 You're already off the leaderboard, {name}. /showme to come back.",
    "grp_shown": "🙂 Welcome back on the leaderboard, {name}.",
    "grp_already_shown": "🙂 You're already on the leaderboard, {name}.",
    "grp_board_title": "🏆 <b>Leaderboard</b>",
    "grp_board_week": "<b>This week</b> (since {since})",
    "grp_board_all_time": "<b>All time</b>",
    "grp_board_empty": "<i>No answers yet.</i>",
    "grp_board_row": "{medal} {name} · {correct} right · {accuracy}%",
    "grp_board_gap": "…",
    "grp_board_you_hidden": "<i>You're hidden from the board (/showme to come back).</i>",
    "grp_stats_title": "📊 <b>{name}</b> in this group",
    "grp_stats_course": "Course: <i>{course}</i>",
    "grp_stats_none": "No answers here yet. Try /quiz!",
    "grp_stats_answers": (
        "Answered <b>{answered}</b> · right <b>{correct}</b> · accuracy <b>{accuracy}%</b>"
    ),
    "grp_stats_streak": "🔥 Streak: <b>{current}</b> day(s) · best {best}",
    "grp_statsprivate_on": (
        "📬 /mystats answers now go to members in private (if they started me)."
    ),
    "grp_statsprivate_off": "💬 /mystats answers now come here in the group.",
    "grp_statsprivate_usage": (
        "/mystats answers go <b>{where}</b>. Admins: <code>/statsprivate on</code> or "
        "<code>/statsprivate off</code>."
    ),
    "grp_where_private": "in private",
    "grp_where_group": "to the group",
    "grp_recap_set": "🗓 Weekly recap: <b>{when}</b> ({tz}). Next: <b>{next}</b>.",
    "grp_recap_off": "🗓 Weekly recap switched off.",
    "grp_recap_usage": (
        "Weekly recap: <b>{current}</b>.\nAdmins set it with <code>/recap fri 18:00</code> "
        "or switch it off with <code>/recap off</code>."
    ),
    "grp_recap_none": "off",
    "grp_recap_bad": "⚠️ {error}\nUse <code>/recap fri 18:00</code> or <code>/recap off</code>.",
    "grp_recap_one_day": "Pick one day, e.g. fri.",
    "grp_recap_title": "🗓 <b>Weekly recap</b>",
    "grp_recap_course": "<i>{course}</i>",
    "grp_recap_participation": "👥 {participants} of {known} members answered this week.",
    "grp_recap_accuracy": "🎯 Group accuracy: <b>{accuracy}%</b> ({correct}/{answered})",
    "grp_recap_no_answers": "😴 No answers this week. The warm-up below is a good restart!",
    "grp_recap_objectives": "<b>By objective</b>",
    "grp_recap_missed": "<b>Missed most</b>",
    "grp_recap_missed_item": (
        "{n}. <i>{prompt}</i> ({wrong}/{answered} wrong)\n   ✅ {answer}\n   💡 {explanation}"
    ),
    "grp_recap_warmup": "🔥 <b>Warm-up for next time:</b> the {count} quiz questions below.",
}
