"""Reports: the report model, renderers, and views derived from rules and reports."""
