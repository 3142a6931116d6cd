"""fuling-compliance: the Fuling District electricity and gas service regulation as rules.

The whole public API is here::

    from fuling_compliance import load_rules, load_facts, evaluate

    rules = load_rules()                       # the bundled rules/
    facts = load_facts(["examples/fuling-2026q2.yaml"])
    report = evaluate(rules, facts)            # as_of: the facts' own, else now
    print(report.to_json())

Errors all derive from :class:`FulingError`; violations are findings, never exceptions.
"""

from .engine.session import Change, Session
from .errors import (
    CalendarError,
    EngineError,
    FactsError,
    FulingError,
    InputError,
    Problem,
    RulesError,
)
from .facts.load import load_facts, load_facts_data
from .facts.model import FactSet
from .reports.evaluate import evaluate
from .reports.report import Finding, Report
from .rules.load import RuleSet, load_rules, validate_rule_files
from .rules.model import Rule

__version__ = "0.1.0"

__all__ = [
    "CalendarError",
    "Change",
    "EngineError",
    "FactSet",
    "FactsError",
    "Finding",
    "FulingError",
    "InputError",
    "Problem",
    "Report",
    "Rule",
    "RuleSet",
    "RulesError",
    "Session",
    "__version__",
    "evaluate",
    "load_facts",
    "load_facts_data",
    "load_rules",
    "validate_rule_files",
]
