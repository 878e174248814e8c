"""Grading one submission: cases, checks, diagnosis, results."""
