"""Values the rest of the bot imports."""

MODEL = "claude-sonnet-4-5"
SHORT_ANSWER_TOKENS = 1024
REPORT_TOKENS = 16 * 1024
REQUEST_TIMEOUT = 60.0
