"""Texts for ops (English)."""

EN: dict[str, str] = {
}
