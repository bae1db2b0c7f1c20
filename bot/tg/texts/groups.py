"""Texts for groups (English)."""

EN: dict[str, str] = {
}
