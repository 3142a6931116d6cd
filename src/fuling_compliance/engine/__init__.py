"""The engine: normalising facts, running compiled rules on durable_rules."""
