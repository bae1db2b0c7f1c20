"""Texts for reviews, study sessions, drills, /progress, /examdate and mock exams (English)."""

EN: dict[str, str] = {
    # --- sessions: /review, /mistakes, /study N, /drill -------------------------------------
    "srs_private_only": (
        "📩 {command} works in our private chat. Open it and send {command} there."
    ),
    "srs_review_start": (
        "🔁 <b>Review</b>: {count} card(s) due, the ones you're closest to forgetting first."
    ),
    "srs_review_weak": "🎯 Your exam is near, so <b>{objectives}</b> come first.",
    "srs_review_none": "✅ Nothing to review right now. Next card due: <b>{when}</b>, your time.",
    "srs_review_none_yet": "✅ Nothing to review yet. Answer a few questions with /quiz first.",
    "srs_review_limit": (
        "✋ That's today's {limit} reviews done. More tomorrow! "
        "You can change the daily limit in /settings."
    ),
    "srs_mistakes_start": "🩹 <b>Your recent mistakes</b>: {count} question(s), newest first.",
    "srs_mistakes_none": "🎉 No mistakes to go over. Keep it up!",
    "srs_study_start": (
        "⏱ <b>{minutes}-minute session</b>: {count} question(s), "
        "the ones you're most likely to forget first, then new ones."
    ),
    "srs_study_bad": "Tell me how many minutes you have, e.g. <code>/study 5</code> (1 to {max}).",
    "srs_drill_start": (
        "🔀 <b>Contrast drill</b>: <b>{expected}</b> vs <b>{chosen}</b>, {count} question(s). "
        "Look for what tells them apart."
    ),
    "srs_drill_none": (
        "No mix-ups to drill yet. When you keep picking one idea for another, "
        "/drill practises telling them apart."
    ),
    "srs_session_over": "🏁 That's the end of this session. /progress shows how you're doing.",
    "srs_limit_new": (
        "✋ That's today's {limit} new questions. /review what's due, or come back tomorrow. "
        "You can change the daily limit in /settings."
    ),
    "srs_more_new_btn": "➕ {n} more new today",
    "srs_more_new_ok": "➕ {n} more new questions today.",  # a toast: plain text
    "srs_sure_btn": "😎 Sure",
    "srs_guessed_btn": "🤔 Guessed",
    "srs_confidence_sure": "Noted: you knew it.",
    "srs_confidence_guessed": "Noted: a lucky guess. It will come back sooner.",
    "srs_confidence_already": "Already noted.",
    "srs_confidence_late": "Too late to change: you've seen this question again since.",
    # --- /progress and /examdate ------------------------------------------------------------
    "prog_objectives": "<b>By objective</b>",
    "prog_objective": "<b>{title}</b>\n{seen} seen\n{recall} recall now",
    "prog_objective_exam": "{recall} on exam day",
    "prog_streak": (
        "🔥 Streak: <b>{current}</b> day(s) · best <b>{best}</b> · ❄️ freeze ready: {freezes}"
    ),
    "prog_exam": "🎯 <b>Exam on {date}</b>: {days} day(s) to go.",
    "prog_exam_today": "🎯 <b>Your exam is today.</b> Good luck!",
    "prog_exam_past": (
        "🎯 Your exam date {date} has passed. Set a new one with /examdate YYYY-MM-DD."
    ),
    "prog_tip": (
        "💡 Weakest on exam day: <b>{title}</b> ({recall}). Read its lessons again, "
        "do /review every day and a /study 10 session; /exam 10 checks where you stand."
    ),
    "prog_no_exam": (
        "🎯 Set your exam date with <code>/examdate YYYY-MM-DD</code> to see your readiness."
    ),
    "prog_confusions": "<b>Mix-ups</b>",
    "prog_confusion": "• <b>{chosen}</b> picked for <b>{expected}</b>: {times}×",
    "prog_drill_hint": "Practise telling them apart with /drill.",
    "prog_chart_caption": "📈 {course}: answers per day (8 weeks) and recall per objective",
    "prog_examdate_set": (
        "🎯 Exam date saved: <b>{date}</b> ({days} day(s) to go). "
        "/progress shows your predicted recall on the day."
    ),
    "prog_examdate_bad": (
        "⚠️ Send the date as <code>/examdate YYYY-MM-DD</code>, e.g. "
        "<code>/examdate 2027-06-15</code>. <code>/examdate off</code> removes it."
    ),
    "prog_examdate_past": "⚠️ {date} is in the past. Pick a date from today on.",
    "prog_examdate_cleared": "🎯 Exam date removed.",
    "prog_examdate_show": (
        "🎯 Your exam date: <b>{date}</b>. Change it with <code>/examdate YYYY-MM-DD</code> "
        "or remove it with <code>/examdate off</code>."
    ),
    # --- mock exams -------------------------------------------------------------------------
    "exam_intro": (
        "📝 <b>Mock exam</b>: {size} questions, {minutes} minutes, {needed} correct to pass.\n"
        "No feedback until the end. Good luck!"
    ),
    "exam_question": "📝 <b>Exam {number}/{size}</b> · ⏱ {left} left",
    "exam_running": (
        "📝 You have a mock exam running: question {number} of {size}, {left} left. "
        "Continue it or abandon it?"
    ),
    "exam_continue_btn": "▶️ Continue",
    "exam_abandon_btn": "🗑 Abandon",
    "exam_abandoned": "🗑 Exam abandoned. Start a new one with /exam.",
    "exam_saved": "Saved: {letters}",
    "exam_minutes": "{minutes} min",
    "exam_under_minute": "under a minute",
    "exam_result": (
        "🏁 <b>Mock exam result</b>\nScore: <b>{correct}/{size}</b> (pass mark {needed})"
    ),
    "exam_pass": "🎉 <b>Pass!</b>",
    "exam_fail": "❌ <b>Not a pass yet.</b> Review your misses and try again.",
    "exam_expired": "⏰ Time's up! You answered {answered} of {size}; the rest count as wrong.",
    "exam_breakdown": "<b>By objective</b>",
    "exam_row": "{bar}  {title} ({correct}/{total})",
    "exam_misses_btn": "🔍 Review my misses ({count})",
    "exam_misses_none": "🎉 Nothing missed. Well done!",
    "exam_miss": (
        "❌ <b>{prompt}</b>\nAnswer: <b>{correct}</b>\nYou chose: {chosen}\n💡 {explanation}"
    ),
    "exam_not_answered": "<i>no answer</i>",
    "exam_bad_size": (
        "⚠️ Send /exam for the full mock exam ({maximum} questions), or /exam N for a shorter "
        "one with N from 1 to {maximum}."
    ),
    "exam_capped": "ℹ️ {maximum} questions is the most a mock exam has, so this one has {size}.",
    "exam_warning": (
        "⏰ <b>1 minute left</b> in your mock exam. Unanswered questions count as wrong."
    ),
    # Toasts: plain text, at most 200 characters.
    "exam_over_toast": "This exam is over: nothing was recorded. Start a new one with /exam.",
    "exam_time_up_toast": "⏰ Time's up: this answer came too late and was not recorded.",
    "exam_not_exam_toast": "This is not an exam question: nothing was recorded.",
    # Another study command while an exam runs.
    "exam_leave_ask": (
        "📝 Your mock exam is still running: question {number} of {size}, {left} left. "
        "Leave it for {command}? A left exam is not scored."
    ),
    "exam_leave_btn": "🚪 Leave the exam",
    "exam_keep_btn": "▶️ Keep going",
    "exam_left": "🚪 You left the mock exam. Start a new one with /exam.",
}
