"""Persons: who did it. Distinct ids map to persons; persons carry properties."""
