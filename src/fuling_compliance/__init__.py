"""fuling-compliance: the Fuling District electricity and gas service regulation as rules.

The whole public API is here::

    from fuling_compliance import load_rules, load_facts, evaluate

    rules = load_rules()                       # the bundled rules/
    facts = load_facts(["examples/fuling-2026q2.yaml"])
    report = evaluate(rules, facts)            # as_of: the facts' own, else now
    print(report.to_json())

Errors all derive from :class:`FulingError`; violations are findings, never exceptions.

Each name is loaded on first use (PEP 562), so ``import fuling_compliance`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> the module (relative to this package) that defines it
_WHERE: dict[str, str] = {
    "CalendarError": ".errors",
    "Change": ".engine.session",
    "Diff": ".reports.diff",
    "EngineError": ".errors",
    "FactSet": ".facts.model",
    "FactsError": ".errors",
    "Fields": ".facts.fields",
    "Finding": ".reports.report",
    "FulingError": ".errors",
    "InputError": ".errors",
    "Problem": ".errors",
    "Report": ".reports.report",
    "ReportError": ".errors",
    "Rule": ".rules.model",
    "RuleSet": ".rules.load",
    "RulesError": ".errors",
    "Session": ".engine.session",
    "WaiverSet": ".rules.waivers",
    "WaiversError": ".errors",
    "apply_baseline": ".reports.diff",
    "apply_waivers": ".reports.waive",
    "diff_reports": ".reports.diff",
    "diff_rules": ".reports.diff",
    "evaluate": ".reports.evaluate",
    "load_facts": ".facts.load",
    "load_facts_data": ".facts.load",
    "load_report": ".reports.diff",
    "load_rules": ".rules.load",
    "load_waivers": ".rules.waivers",
    "load_waivers_data": ".rules.waivers",
    "validate_rule_files": ".rules.load",
}

__all__ = [
    "CalendarError",
    "Change",
    "Diff",
    "EngineError",
    "FactSet",
    "FactsError",
    "Fields",
    "Finding",
    "FulingError",
    "InputError",
    "Problem",
    "Report",
    "ReportError",
    "Rule",
    "RuleSet",
    "RulesError",
    "Session",
    "WaiverSet",
    "WaiversError",
    "__version__",
    "apply_baseline",
    "apply_waivers",
    "diff_reports",
    "diff_rules",
    "evaluate",
    "load_facts",
    "load_facts_data",
    "load_report",
    "load_rules",
    "load_waivers",
    "load_waivers_data",
    "validate_rule_files",
]

if TYPE_CHECKING:
    # what type checkers and IDEs see; at run time __getattr__ imports these on first use
    from .engine.session import Change, Session
    from .errors import (
        CalendarError,
        EngineError,
        FactsError,
        FulingError,
        InputError,
        Problem,
        ReportError,
        RulesError,
        WaiversError,
    )
    from .facts.fields import Fields
    from .facts.load import load_facts, load_facts_data
    from .facts.model import FactSet
    from .reports.diff import Diff, apply_baseline, diff_reports, diff_rules, load_report
    from .reports.evaluate import evaluate
    from .reports.report import Finding, Report
    from .reports.waive import apply_waivers
    from .rules.load import RuleSet, load_rules, validate_rule_files
    from .rules.model import Rule
    from .rules.waivers import WaiverSet, load_waivers, load_waivers_data
else:
    # not seen by type checkers: a module __getattr__ would make every misspelt name Any

    def __getattr__(name: str) -> Any:
        """Import the module defining public ``name``, keep the value here, return it."""
        try:
            module = _WHERE[name]
        except KeyError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        from importlib import import_module

        value = getattr(import_module(module, __name__), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
