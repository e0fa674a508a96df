"""Hedgerow: self-hosted product analytics that speaks PostHog's wire protocol."""

__version__ = "0.1.0"
