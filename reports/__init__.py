"""Rendering stored runs and verdicts for people: report.html, findings.json/CSV/ODS, the monthly record form."""
