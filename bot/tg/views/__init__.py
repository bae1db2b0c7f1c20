"""Views: pure functions from a use-case outcome to a text and its reply markup. No I/O."""
