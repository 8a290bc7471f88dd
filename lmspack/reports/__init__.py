"""Admin reports: completion, outcome and question analysis, evaluation, and CSV export.
Pure functions on plain rows; the store feeds them (or pre-aggregates in SQL)."""
