"""Grading engine of the exercise kit: sandboxed workers, hidden checks, exporters, CLI."""

__version__ = "0.1.0"
