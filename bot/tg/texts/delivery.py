"""Texts for scheduled deliveries (English)."""

EN: dict[str, str] = {
    "dlv_review_finished": (
        "🔁 <b>Review time.</b> You've finished every lesson, so here's a question to keep "
        "it fresh:"
    ),
    "dlv_review_limit": (
        "🔁 <b>Review time.</b> That's today's new lessons done; here's a question on what "
        "you've learned:"
    ),
    "dlv_review_group": "🔁 <b>Group review.</b> Who remembers this one?",
}
