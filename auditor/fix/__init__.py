"""Autofix: the edits each fix computes, and the machinery that applies them to files safely.

A rule attaches a `Fix` (text edits computed from libcst positions) to its finding. The fix
modules here build those edits, one module per fix, next to the facts the rule reads;
`auditor.fix.apply` applies them in rounds and checks the result, `auditor.fix.files` reads and
writes files without ever losing a byte the fix did not mean to change.
"""
