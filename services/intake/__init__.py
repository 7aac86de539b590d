"""Intake: channel adapters POST contacts; a 2xx means ContactReceived is durably in Kafka."""
