"""Grades into the LMS by themselves: LTI 1.3 service access and Canvas's REST API.

One small module per job:

- ``keys``: the tool's RSA key pair (``private.pem``, ``jwks.json``) and reading it back.
- ``service_token``: an access token from the platform (OAuth 2 client credentials with a
  JWT client assertion signed by that key).
- ``transport``: HTTP with urllib: https only (http to this machine), no redirects.
- ``line_items``: find the assignment's line item in the line items service, or create it.
- ``stamps``: Score timestamps, each push later than every earlier one.
- ``class_file``: what grade-batch wrote (``OUT/class.json`` and each ``results.json``).
- ``user_ids``: whom each Score or grade goes to on the platform.
- ``ags_push``: ``autograder lti-push`` with service access: all of the above.
- ``canvas_push``: ``autograder canvas-push``: grades and comments through Canvas's REST API.
- ``command``: the command-line layer over ``keys``, ``ags_push`` and ``canvas_push``.

Every problem is one :class:`autograder.lms.errors.LmsError` sentence. PyJWT with
cryptography (extra ``lti``) and canvasapi (extra ``canvas``) are imported only by the
modules that need them.
"""
