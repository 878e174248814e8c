"""Grading a whole class: finding submissions, parallel incremental grading, the class summary."""
