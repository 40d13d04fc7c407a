"""Which access point group's rules a site follows: one lookup for the portal, RADIUS and the console.

A group (the hospital, the beaches, city hall) may give its sites their own free plan, opening hours
and splash text. Today a NAS row is the site; when radios (access points) carry a group of their own,
`group_of` is the one place that lets it win over its NAS's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hotspot.opening_hours import OpeningHours, parse_hours


@dataclass(frozen=True)
class GroupRules:
    """What a group decides, detached from any database session (kept for a few seconds per process)."""

    id: int
    name: str
    free_plan_id: int | None
    hours: OpeningHours
    splash_text: str = ""
    splash_text_en: str = ""

    @classmethod
    def of(cls, row) -> GroupRules:
        """From an ApGroup (or a row with its column names); hours were checked when they were saved."""
        return cls(
            row.id,
            row.name,
            row.free_plan_id,
            parse_hours(row.opening_hours),
            row.splash_text or "",
            row.splash_text_en or "",
        )

    def splash(self, language: str) -> str:
        return (self.splash_text_en if language == "en" else "") or self.splash_text


def group_of(
    groups: Mapping[int, GroupRules], nas_group_id: int | None, ap_group_id: int | None = None
) -> GroupRules | None:
    """The rules of a site: its access point's own group when it has one, else its NAS's, else none."""
    for group_id in (ap_group_id, nas_group_id):
        if group_id is not None and group_id in groups:
            return groups[group_id]
    return None
