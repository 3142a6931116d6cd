"""Running the feature files without pytest: what ``fuling-compliance test`` and ``steps`` use.

One set of step definitions (:mod:`.steps`) serves both runs: pytest-bdd registers them
in ``tests/bdd/conftest.py``, and :mod:`.runner` executes the same functions over the
same feature files, read by the same Gherkin parser (:mod:`.gherkin`, gherkin-official,
which pytest-bdd uses too). :mod:`.checks` holds the checks both runs share: a scenario
without steps or with a step swallowed into a description, tags naming no rule, rules
lacking a failing or passing scenario, the example's expected findings.

This layer sits above ``reports`` (it evaluates) and below ``cli``.
"""
