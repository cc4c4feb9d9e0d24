"""auditor: a reliability linter and auditor for code that calls the Anthropic SDK."""

__version__ = "0.1.0"
