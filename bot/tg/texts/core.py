"""Texts for onboarding, lessons, quizzes, progress, settings and errors (English)."""

EN: dict[str, str] = {
    "welcome": (
        "👋 <b>Hi {name}! I'm your study tutor.</b>\n\n"
        "Every day at a time you choose I send a short lesson and a few quiz questions, "
        "explain every answer, and bring back what you're about to forget."
    ),
    "welcome_back": (
        "👋 <b>Welcome back, {name}!</b> Your progress is safe: {done} of {total} lessons done "
        "in <i>{course}</i>. Use /lesson, /quiz or /progress."
    ),
    "choose_course": "Which course would you like to study?",
    "enrolled": (
        "📚 You're enrolled in <b>{course}</b> ({lessons} lessons, {questions} questions)."
    ),
    "disclaimer": "<i>{text}</i>",
    "no_courses": "No course is installed yet. The operator can add one under lessons/.",
    "unknown_course": "I don't know a course called <code>{course}</code>. Pick one below.",
    "ask_time": (
        "⏰ When should I send your daily lesson? Pick a time or type one like <code>07:45</code>."
    ),
    "ask_days": "📅 On which days? Pick below or type days like <code>mon,wed,fri</code>.",
    "ask_tz": (
        "🌍 Which time zone are you in? Pick one or type a name like <code>Europe/Berlin</code> "
        "or an offset like <code>+05:30</code>."
    ),
    "bad_time": (
        "⚠️ I couldn't read <code>{value}</code> as a time. Try <code>07:45</code> or "
        "<code>19:30</code>."
    ),
    "bad_tz": (
        "⚠️ {error}\nType an IANA name like <code>America/New_York</code> or an offset like "
        "<code>-03:00</code>."
    ),
    "bad_days": "⚠️ {error}",
    "type_time": "⌨️ Type a time like <code>07:45</code> (24-hour clock).",
    "type_days": (
        "⌨️ Type the days, e.g. <code>mon,wed,fri</code>, <code>mon-fri</code> or "
        "<code>daily</code>."
    ),
    "type_tz": (
        "⌨️ Type a time zone like <code>Europe/Berlin</code> or an offset like <code>+05:30</code>."
    ),
    "days_every": "Every day",
    "days_weekdays": "Mon–Fri",
    "days_weekends": "Weekends",
    "days_custom": "✏️ Custom",
    "ask_course": "📚 Which course? Your progress in each course is kept.",
    "ask_per_session": "🔢 How many questions per session?",
    "ask_limits": (
        "📈 Daily limits: 🆕 new questions per day (first row), 🔁 reviews per day (second row)."
    ),
    "limit_new_btn": "🆕 {n}",
    "limit_rev_btn": "🔁 {n}",
    "admin_only": "🔒 Only this group's admins can change that.",
    "forget_in_private": "🔒 For your privacy, send /forgetme to me in a private chat.",
    "not_set_up": "You haven't set me up here yet. Send /start first.",
    "next_paused": "⏸ Deliveries are paused. Send /resume to restart them.",
    "next_not_set": "⏰ No delivery is scheduled yet. Send /start to choose a time.",
    "paused_group_ok": "⏸ Paused. No deliveries in this group until an admin sends /resume.",
    "resumed_not_set": "▶️ Resumed. Finish the setup with /start to get daily deliveries.",
    "setup_done": (
        "✅ All set! Next lesson: <b>{next}</b> (your time, {tz}).\n"
        "Start right now with /lesson, or try a question with /quiz."
    ),
    "no_course_yet": "You're not enrolled in a course yet. Send /start to pick one.",
    "lesson_range": (
        "📖 This course has lessons 1 to {total}: send <code>/lesson 2</code> to open lesson 2, "
        "or /lesson for your next one."
    ),
    "lesson_header": "📖 <b>Lesson {index}/{total}: {title}</b>",
    "key_points": "<b>Key points</b>",
    "take_quiz": "📝 Take the quiz ({count})",
    "course_complete": (
        "🎓 You've finished every lesson of <b>{course}</b>! I'll keep your reviews coming. "
        "Try /exam for a mock exam or /review."
    ),
    "lesson_done": "✅ Lesson done: <b>{title}</b>.",
    "next_lesson_btn": "📖 Next lesson",
    "next_question_btn": "➡️ Next question",
    "one_more_btn": "➕ One more",
    "done_for_now_btn": "🏁 Done for now",
    "session_done": "🏁 That's {count} questions for this session. See you at your next lesson!",
    "session_end": "🏁 Nice work! See you at your next lesson. /progress shows how you're doing.",
    "no_questions": (
        "🎉 Nothing to ask right now: you've answered every question. Try /review later."
    ),
    "question_header": "❓ <b>Question{counter}</b>",
    "answer_right": "✅ <b>Right!</b>",
    "answer_wrong": "❌ <b>Not quite.</b> The answer: <b>{correct}</b>",
    "why_not": "<i>Why not {letter}:</i> {text}",
    "explanation": "💡 {text}",
    "already_answered": "You've already answered this one.",
    "question_gone": "This question is no longer available.",
    "not_your_question": "This question was sent to someone else.",
    "button_expired": "This button has expired.",
    "pick_options_then_submit": "Tap every answer that applies, then ✔️ Submit.",
    "pick_n_then_submit": "Pick {n}, then ✔️ Submit.",
    # Answer toasts are plain text (≤ 200 characters): no HTML tags.
    "pick_limit": "That's as many as this question takes. Untick one to change your picks.",
    "pick_more_first": "Not yet: pick as many answers as the question asks, then ✔️ Submit.",
    "mark_right": "✅",
    "mark_missed": "➖",
    "mark_wrong": "❌",
    "picks_right": "✅ Picked and right: {options}",
    "picks_missed": "➖ Right, but missed: {options}",
    "picks_wrong": "❌ Picked, but wrong: {options}",
    "submit_btn": "✔️ Submit",
    "pick_at_least_one": "Pick at least one option first.",
    "unsure_btn": "🤔 Not sure",
    "unsure_noted": "Noted: you're not sure. Pick your answer.",
    "progress_title": "📊 <b>Your progress in {course}</b>",
    "progress_lessons": "Lessons: <b>{done}/{total}</b>",
    "progress_answers": "Questions answered: <b>{answered}</b> · accuracy <b>{accuracy}</b>",
    "progress_by_objective": "<b>Accuracy by objective</b>",
    "progress_streak": "🔥 Streak: <b>{current}</b> day(s) · best {best}",
    "progress_next": "⏰ Next delivery: <b>{next}</b>, your time",
    "progress_paused": "⏸ Deliveries are paused. /resume to restart them.",
    "settings_title": "⚙️ <b>Settings</b>",
    "settings_body": (
        "Course: <b>{course}</b>\nTime: <b>{times}</b> · days: <b>{days}</b>\n"
        "Time zone: <b>{tz}</b>\nQuiz style: <b>{style}</b>\n"
        "Questions per session: <b>{per_session}</b>\n"
        "New questions per day: <b>{new_per_day}</b> · reviews per day: <b>{reviews_per_day}</b>\n"
        "Ask “sure / not sure”: <b>{confidence}</b>\nDeliveries: <b>{state}</b>"
    ),
    "style_poll": "quiz polls",
    "style_buttons": "buttons",
    "on": "on",
    "off": "off",
    "active": "active",
    "paused": "paused",
    "btn_time": "⏰ Time",
    "btn_days": "📅 Days",
    "btn_tz": "🌍 Time zone",
    "btn_course": "📚 Course",
    "btn_style": "🎛 Quiz style",
    "btn_per_session": "🔢 Questions/session",
    "btn_limits": "📈 Daily limits",
    "btn_confidence": "🤔 Sure/not sure",
    "btn_other": "✏️ Type another",
    "btn_back": "⬅️ Back",
    "saved": "✅ Saved.",
    "paused_ok": (
        "⏸ Paused. No deliveries until you send /resume. Your streak is frozen meanwhile."
    ),
    "already_paused": "You're already paused. /resume to restart.",
    "resumed_ok": "▶️ Resumed. Next delivery: <b>{next}</b>, your time.",
    "not_paused": "Deliveries are running. Next: <b>{next}</b>, your time.",
    "next_delivery": "⏰ Next delivery: <b>{next}</b>, your time ({tz}).",
    "reset_confirm": (
        "⚠️ Reset your progress in <b>{course}</b>? Answers, reviews and lessons done will be "
        "cleared."
    ),
    "reset_done": "🧹 Progress in <b>{course}</b> cleared. Start again with /lesson.",
    "forget_confirm": (
        "⚠️ Delete <b>everything</b> I know about you (answers, reviews, settings, streaks)? "
        "This cannot be undone."
    ),
    "forget_done": (
        "🗑 Done. I deleted every record about you. Send /start if you ever want to come back."
    ),
    "confirm_yes": "Yes, do it",
    "confirm_no": "Cancel",
    "cancelled": "Cancelled. Nothing changed.",
    "help": (
        "<b>What I can do</b>\n"
        "/start – set up or see where you are\n"
        "/lesson [N] – the next micro-lesson, or lesson N\n"
        "/quiz – the next question\n"
        "/review – review what you're about to forget\n"
        "/mistakes – go over your recent mistakes\n"
        "/study N – a session that fits N minutes\n"
        "/exam [N] – a timed mock exam\n"
        "/examdate YYYY-MM-DD – set your exam date\n"
        "/progress – lessons, accuracy, streak, chart\n"
        "/next – when the next delivery comes\n"
        "/settings – time, days, time zone, course, quiz style\n"
        "/pause, /resume – stop or restart deliveries\n"
        "/reset – clear progress in this course\n"
        "/forgetme – delete all your data\n"
        "/help – this list\n\n"
        "<b>In groups</b>: /leaderboard, /mystats, /hideme, /showme, /recap "
        "(admins set things up)."
    ),
    "help_group": (
        "<b>What I can do in this group</b>\n"
        "/lesson – the group's next micro-lesson\n"
        "/quiz – the group's next question (everyone answers on their own)\n"
        "/leaderboard – this week's and all-time ranking\n"
        "/mystats or /progress – your own figures here\n"
        "/next – when the next delivery comes\n"
        "/hideme, /showme – leave or rejoin the leaderboard\n"
        "/help – this list\n\n"
        "<b>Admins</b>: /start, /settings, /pause, /resume, /recap, /statsprivate, /reset.\n"
        "Reviews, mistakes, /study and mock exams are personal: open a private chat with me."
    ),
    "unknown_command": "🤔 I don't know <code>{command}</code>. Send /help to see what I can do.",
    "free_text_hint": "I learn through commands and buttons. Try /lesson, /quiz or /help.",
    "error": "⚠️ Sorry, something went wrong on my side. Please try again in a moment.",
    "confusion_note": (
        "🔁 Heads-up: you've picked <b>{chosen}</b> where <b>{expected}</b> was right {times} "
        "times. Try /drill to tell them apart."
    ),
    "report_btn": "🚩 Report",
    "report_ask": "What's wrong with this question? Reply to this message with a short reason.",
    "report_saved": "🙏 Thanks! The course author will look at it.",
}
