"""Writing an assignment: ``autograder new NAME`` scaffolds one that works end to end.

See docs/authoring.md for the path from ``new`` to a graded class.
"""

from autograder.authoring.scaffold import Scaffold, ScaffoldError, new_assignment

__all__ = ["Scaffold", "ScaffoldError", "new_assignment"]
