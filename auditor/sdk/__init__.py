"""What the Anthropic SDK is, as far as the rules care: recognising clients and generation
calls, the settings in force, handlers, retries, the one worst-case computation, and the SDK
table the rest rests on (auditor.sdk.table). Import the submodules; this package imports nothing,
so that reading the table does not load libcst."""
