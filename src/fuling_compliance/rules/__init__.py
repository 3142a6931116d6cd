"""Rules: the rule language, loading and validating rule files, compiling them."""
