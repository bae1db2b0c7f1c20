"""The offline playground: the real bot in a terminal, over an in-process fake Bot API."""
