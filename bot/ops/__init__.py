"""Operator tools: health check, statistics, progress export, question reports, database copy."""
