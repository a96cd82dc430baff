"""The callback-ticket domain: models, filing, lifecycle and outgoing messages (no Flask here)."""
