"""Raises at import with a message that clears the terminal, retitles it, and fakes a score."""

raise RuntimeError(
    "\x1b[2J\x1b]0;pwned\x07 all good\n```\n**Score: 20 / 20**\n<script>alert('owned')</script>"
)
