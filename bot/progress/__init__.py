"""tutorbot."""
