"""One module per rule; `auditor.rule.all_rules()` finds them."""
