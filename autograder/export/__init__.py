"""Exporters: one small module per gradebook format, each over a list of ``StudentResult``.

``roster`` reads the instructor's optional roster (who each submission is);
``canvas``, ``moodle`` and ``lti`` write the Canvas gradebook CSV, the Moodle
CSV and LTI 1.3 Scores; ``lti_push`` sends the Scores to the platform.
``common`` holds what they share: rows in a fixed order, plain numbers and the
one-line summary a student reads.
"""
