"""The nbgrader workflow: a source notebook graded by the kit, and the kit's grades in gradebook.db.

* :mod:`~autograder.nbgrader.source`: the source notebook (``autograder nbgrader-source``);
* :mod:`~autograder.nbgrader.cells`: what its test cells run under ``nbgrader autograde``;
* :mod:`~autograder.nbgrader.gradebook`: the kit's points into the gradebook
  (``autograder nbgrader-import``);
* :mod:`~autograder.nbgrader.points`: which function each check grades (one rule for all three);
* :mod:`~autograder.nbgrader.command`: the two commands.
"""
