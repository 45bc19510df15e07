"""Chaos and abuse suites (issue 16): webhook fuzzing, the chaos driver, record-by-record comparison.

Test-only code: production modules never import it.
"""
