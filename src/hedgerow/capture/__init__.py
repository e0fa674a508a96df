"""Capture: decoding what PostHog clients send over HTTP."""
