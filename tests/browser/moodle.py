"""Moodle's stricter reading of the SCORM data, checked on the recorded SetValue calls.

scorm-again accepts more than Moodle does (its 1.2 `result` takes any decimal, its session
time takes any number of hour digits); these checks follow Moodle's datamodels
(mod/scorm/datamodels/scorm_12.js and scorm_13.js) and the SCORM books.
"""

from __future__ import annotations

import re
from collections import defaultdict

from .conftest import Lms

TIMESPAN_12 = re.compile(r"^\d{4}:\d{2}:\d{2}\.\d{2}$")  # HHHH:MM:SS.SS
MOODLE_TIMESPAN_12 = re.compile(r"^([0-9]{2,4}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,2})?$")
DURATION_2004 = re.compile(r"^PT(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d{1,2})?S)$")  # PT1H2M3.4S
TIME_12 = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d$")
TIMESTAMP_2004 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
STATUS_12 = {"passed", "completed", "failed", "incomplete", "browsed"}
ARRAYS = ("interactions", "objectives", "comments_from_learner")


def check(lms: Lms) -> None:
    """Every value the package set is one Moodle would store, in an order it accepts."""
    calls = lms.calls()
    setter = "LMSSetValue" if lms.v12 else "SetValue"
    sets = [c for c in calls if c["fn"] == setter]
    assert sets, "the package set nothing"
    refused = [c for c in calls if c["fn"] != ("LMSGetValue" if lms.v12 else "GetValue")
               and c["result"] != "true"]
    assert not refused, f"the LMS refused: {refused[:5]}"

    # Sequential array indexes; each new row starts with its id (location for comments).
    top: dict[str, int] = defaultdict(lambda: -1)
    for array, count in lms.preloaded.items():
        top[array] = count - 1
    order: dict[tuple[str, int], list[str]] = defaultdict(list)
    for c in sets:
        m = re.match(r"^cmi\.(interactions|objectives|comments_from_learner)\.(\d+)\.(.+)$",
                     c["key"])
        if not m:
            continue
        array, n, field = m.group(1), int(m.group(2)), m.group(3)
        assert n <= top[array] + 1, f"{c['key']}: index skips past _count {top[array] + 1}"
        if n == top[array] + 1:
            first = "location" if array == "comments_from_learner" else "id"
            assert field == first, f"{c['key']}: a new row must start with {first}"
            top[array] = n
        order[(array, n)].append(field)

    response = "student_response" if lms.v12 else "learner_response"
    for (array, n), fields in order.items():
        if array != "interactions":
            continue
        assert "type" in fields and response in fields, f"interaction {n}: {fields}"
        assert fields.index("type") < fields.index(response), f"interaction {n}: type too late"
        if "correct_responses.0.pattern" in fields:
            assert fields.index("type") < fields.index("correct_responses.0.pattern")

    for c in sets:
        key, value = c["key"], c["value"]
        if key.endswith(".result"):
            # Moodle's CMIResult: correct|wrong|unanticipated|neutral|number (1.2);
            # 2004 says incorrect where 1.2 says wrong. We write no numbers.
            allowed = {"correct", "unanticipated", "neutral"}
            allowed |= {"wrong"} if lms.v12 else {"incorrect"}
            assert value in allowed, f"{key} = {value!r}"
        if lms.v12 and key.endswith(".student_response"):
            assert len(value) <= 255, f"{key}: Moodle's CMIFeedback holds 255 characters"
        if key in ("cmi.core.session_time", "cmi.session_time"):
            if lms.v12:
                assert TIMESPAN_12.match(value) and MOODLE_TIMESPAN_12.match(value), value
            else:
                assert DURATION_2004.match(value), value
        if key.endswith(".time"):
            assert TIME_12.match(value), f"{key} = {value!r}"
        if key.endswith(".timestamp"):
            assert TIMESTAMP_2004.match(value), f"{key} = {value!r}"
        if lms.v12 and key == "cmi.core.lesson_status":
            assert value in STATUS_12, value
        if lms.v12 and re.search(r"objectives\.\d+\.status$", key):
            assert value in STATUS_12 | {"not attempted"}, value
        if key.endswith("score.raw"):
            assert 0 <= float(value) <= 100, f"{key} = {value!r}"
        if key == "cmi.suspend_data":
            assert len(value) <= (4096 if lms.v12 else 64000), f"suspend_data is {len(value)} chars"
        if key == "cmi.comments":
            assert len(value) <= 4096, f"cmi.comments is {len(value)} chars"
        if key.endswith(".comment"):
            assert len(value) <= 4000 and "\n" not in value, f"{key}: {len(value)} chars"
