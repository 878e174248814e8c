"""The class integrity report: pairs of students whose work is worth a look, and why.

Two kinds of evidence, each found through an index (never by comparing every pair):

* **code** (:mod:`.code_similarity`): winnowed fingerprints of normalised source
  (:mod:`.fingerprints`, copydetect's tokenizer and winnowing), with the released stubs and
  given code removed as boilerplate and fragments common in the class ignored;
* **answers** (:mod:`.shared_answers`): every student's functions run once on a fixed probe
  set in the sandbox (:mod:`.probes`, :mod:`.probe_run`); wrong answers that few others give,
  and that no catalogued misconception explains, are shared evidence.

:mod:`.pairs` decides which pairs are flagged, :mod:`.report` writes ``similarity.csv`` and
``similarity.html``, and :func:`.command.write_integrity_report` is what ``grade-batch`` calls.
The report says "worth a look": similarity is a reason to read two submissions side by side,
never a finding about anyone.
"""
