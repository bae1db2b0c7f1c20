"""Texts for delivery (English)."""

EN: dict[str, str] = {
}
