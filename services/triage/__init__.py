"""Triage: ContactReceived -> Classified, by rules kept as data (rules.yaml)."""
