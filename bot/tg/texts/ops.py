"""Texts for operator tools: /stats and "report this question" (English)."""

EN: dict[str, str] = {
    "ops_stats": (
        "📈 <b>Stats for {day} (UTC)</b>\n"
        "Learners: <b>{learners}</b> · groups: <b>{groups}</b> · "
        "answered in the last 7 days: <b>{active}</b>\n"
        "Deliveries today: <b>{sent}</b> sent, <b>{failed}</b> failed, <b>{skipped}</b> skipped"
        "{other}\n"
        "Answers today: <b>{answers}</b> ({correct} right)\n"
        "Open reports: <b>{reports}</b> · paused questions: <b>{paused}</b>\n\n"
        "<b>Most missed questions</b>\n{missed}"
    ),
    "ops_stats_other": ", {items}",
    "ops_stats_missed": "{rank}. <code>{course}/{question}</code>: {wrong} wrong of {answered}",
    "ops_stats_none": "none yet",
    "ops_report_noted": "🚩 Reported, thank you. A reason helps: reply to my next message.",
    "ops_report_ask_group": "{name}: ",
    "ops_report_placeholder": "What's wrong with it?",
}
