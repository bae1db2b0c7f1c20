"""Texts for srs (English)."""

EN: dict[str, str] = {
}
