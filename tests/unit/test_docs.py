"""The docs list every setting and every discard reason the code has."""

from __future__ import annotations

from pathlib import Path

from hedgerow.ingestion.outcomes import DiscardReason, WarningType
from hedgerow.settings import OPTIONS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text()
    for option in OPTIONS:
        assert f"`{option.flag}`" in text, option.flag
        assert f"`{option.env}`" in text, option.env


def test_every_discard_reason_and_warning_is_documented() -> None:
    text = (DOCS / "discard-reasons.md").read_text()
    for reason in [*DiscardReason, *WarningType]:
        assert f"| `{reason.value}` |" in text, reason.value
