"""Local LMS servers for the push tests, each serving on 127.0.0.1 (port 0) in a thread.

``lti_platform``: an LTI 1.3 platform's token endpoint and Assignment and Grade
Services, with Canvas's or Moodle's published rules. ``canvas_rest``: the
Canvas REST endpoints canvas-push uses. ``graded_out``: a grade-batch folder
written by the kit's own writers from hand-made records.

Why not the ``lti1p3platform`` package (0.1.8): it checks a client assertion's
signature and kid but not its ``aud`` (``verify_aud`` is off) nor ``jti``
reuse nor that ``iss`` = ``sub`` = the client id; its line items and scores
services are abstract (storage, paging and every Score rule are left to the
user, ``update_score`` has a "TODO: validate score"), and it pages with a
``next`` field in the body instead of the ``Link`` header. What the tests
need from a platform is exactly what it leaves out, so the platform here is
built from Canvas's and Moodle's own source (cited beside each rule).
"""
