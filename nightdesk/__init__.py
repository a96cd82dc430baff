"""Nightdesk: the command line, the wiring of services, the dev phones and the benchmarks."""
