"""Feedback for students: pages with the checks they may see and pictures of their mistakes."""
