"""Generic facts about one Python module, in one pass: scopes, bindings, imports, what a name
refers to, constant values with their provenance. Nothing here knows the SDK; the sdk layer
plugs its recognition into the inference (auditor.analysis.infer)."""
