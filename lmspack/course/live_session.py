"""course.yaml's `live_session: {minutes: 180, capacity: 12, mode: ..., booking: ...,
equipment: ...}`, and the clear error
for the keys it replaced (`cpd.live_session_minutes`, `cpd.live_session_mode`)."""

from __future__ import annotations

from .errors import Problems
from .fields import Fields
from .model import DEFAULT_EQUIPMENT, LiveSession
from .shapes import LIVE_SESSION

OLD_KEYS = ("live_session_minutes", "live_session_mode")
MOVED = (
    "moved out of cpd: write `live_session: {minutes: 180, capacity: 12, mode: Live online "
    "workshop (Zoom)}` at the top level of course.yaml (capacity: the places per session)"
)


def drop_old_keys(raw, f: Fields) -> None:
    """Report each old live-session key of `cpd` (where it is) with what to write instead,
    and drop it, so it is not reported a second time as an unknown field."""
    if not isinstance(raw, dict):
        return
    cpd = Fields(raw, f.file, f.problems, "cpd", f.line_of("cpd"))
    for key in [k for k in OLD_KEYS if k in raw]:
        cpd.error(key, MOVED)
        del raw[key]


def read_live_session(raw, f: Fields, problems: Problems) -> LiveSession | None:
    if raw is None:
        return None
    live = Fields(raw, f.file, problems, "live_session", f.line_of("live_session"), LIVE_SESSION)
    minutes = live.get("minutes", 0)
    capacity = live.get("capacity", 12)
    mode = live.get("mode", "")
    booking = live.get("booking", "").strip()
    equipment = live.get("equipment", "").strip()
    live.done()
    return LiveSession(minutes, capacity, mode, booking, equipment or DEFAULT_EQUIPMENT)
