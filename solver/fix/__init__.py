"""Repairs: the smallest set of edits that removes the errors, computed by clingo.

``actions`` is the vocabulary shared by the two halves: ``repair`` chooses actions over the
inventory (by inventory path, with ``rules/repair.lp``), ``edits`` turns chosen actions into
text edits over the user's files (spans from the readers), shown as a unified diff and
written only by ``inventory-solver fix --apply``.
"""
