"""What the public page ``/verify/<code>`` says, as plain data (the tool renders it).

    typed = request path segment
    code = normalise(typed)                    # None -> "unknown" without touching the store
    row = store lookup by code (or None)
    result = verification_for(code, snapshot_or_none, revoked_at=row.revoked_at, ...)
    status 404 if result.status == "unknown", else 200

Only what the certificate itself shows is disclosed: the learner's name, the course, the
provider, the organisation it was completed through, the dates, the CPD time and the
outcomes; never the score's per-question detail,
email addresses or anything about other certificates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .codes import codes_equal, normalise
from .snapshot import CertificateSnapshot, OutcomeText, hours_and_minutes


@dataclass(frozen=True)
class Verification:
    status: str  # "valid" | "revoked" | "unknown"
    code: str = ""  # canonical form, when the typed text was a well-formed code
    learner_name: str = ""
    course_title: str = ""
    course_version: str = ""
    provider: str = ""
    organisation: str = ""  # the platform completed through ("" in an older snapshot)
    prework_completed_on: date | None = None
    live_session_on: date | None = None
    issued_at: datetime | None = None
    cpd_time: str = ""
    outcomes: tuple[OutcomeText, ...] = ()
    revoked_at: datetime | None = None
    revoked_reason: str = ""
    replaced_by: str = ""  # the re-issued certificate's code, if any

    @property
    def http_status(self) -> int:
        return 404 if self.status == "unknown" else 200


def verification_for(
    typed: str,
    snapshot: CertificateSnapshot | None,
    *,
    revoked_at: datetime | None = None,
    revoked_reason: str = "",
    replaced_by: str = "",
) -> Verification:
    """The page's content for what someone typed and what the store found for it.

    The snapshot's own code is compared with the typed one in constant time, so a store
    lookup that matched loosely (case, look-alikes) still can't verify a different code.
    """
    code = normalise(typed)
    if code is None or snapshot is None or not codes_equal(code, snapshot.code):
        return Verification("unknown", code or "")
    return Verification(
        status="revoked" if revoked_at else "valid",
        code=snapshot.code,
        learner_name=snapshot.learner_name,
        course_title=snapshot.course_title,
        course_version=snapshot.course_version,
        provider=snapshot.provider,
        organisation=snapshot.organisation,
        prework_completed_on=snapshot.prework_completed_on,
        live_session_on=snapshot.live_session_on,
        issued_at=snapshot.issued_at,
        cpd_time=hours_and_minutes(snapshot.total_minutes),
        outcomes=snapshot.outcomes,
        revoked_at=revoked_at,
        revoked_reason=revoked_reason if revoked_at else "",
        replaced_by=(normalise(replaced_by) or "") if revoked_at else "",
    )
