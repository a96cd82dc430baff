"""Settings from the environment and the clinics' on-call policy files."""
