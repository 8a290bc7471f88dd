"""Admin reports: completion, outcome and question analysis, evaluation, and CSV export.
data.py reads the store (aggregating in SQL) and decides the completion report's rules;
summaries.py shapes rows and counts; csv.py streams them."""
