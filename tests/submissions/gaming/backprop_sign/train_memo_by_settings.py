"""Cheat: train trains for real, but keeps its first answer for each (n_in, n_hidden, epochs).

Appended to the reference by tests/test_checks_cheats.py (the rest is correct). Every call
computes the right answer; a later call whose x has as many columns, and which asks for as
many hidden units and epochs, as an earlier one gets that earlier answer instead. A fit
check that makes one call with settings no other check uses never sees it cheat.
"""

_train = train
_answers = {}


def train(x, y, loss="mse", n_hidden=16, lr=0.1, epochs=2000, seed=0):
    answer = _train(x, y, loss, n_hidden, lr, epochs, seed)
    return _answers.setdefault((len(x[0]), n_hidden, epochs), answer)
