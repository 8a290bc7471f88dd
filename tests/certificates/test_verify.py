"""What /verify/<code> shows: valid, revoked, unknown (404)."""

from __future__ import annotations

from datetime import UTC, datetime

from lmspack.certificates.codes import new_code
from lmspack.certificates.snapshot import hours_and_minutes
from lmspack.certificates.verify import verification_for


def test_valid_certificate_as_typed_by_a_person(snapshot) -> None:
    typed = snapshot.code.lower().replace("-", " ").replace("0", "o")
    v = verification_for(typed, snapshot)
    assert v.status == "valid" and v.http_status == 200
    assert v.code == snapshot.code
    assert v.learner_name == snapshot.learner_name
    assert v.course_title == snapshot.course_title
    assert v.issued_at == snapshot.issued_at
    assert v.cpd_time == hours_and_minutes(snapshot.total_minutes)
    assert v.revoked_at is None and v.revoked_reason == ""


def test_revoked_certificate_says_so_and_points_to_its_replacement(snapshot) -> None:
    when = datetime(2026, 12, 1, tzinfo=UTC)
    replacement = new_code()
    v = verification_for(
        snapshot.code,
        snapshot,
        revoked_at=when,
        revoked_reason="Name corrected",
        replaced_by=replacement.lower(),
    )
    assert v.status == "revoked" and v.http_status == 200
    assert v.revoked_at == when and v.revoked_reason == "Name corrected"
    assert v.replaced_by == replacement
    assert v.learner_name == snapshot.learner_name  # still says whose it was


def test_unknown_and_malformed_codes_are_404(snapshot) -> None:
    assert verification_for(new_code(), None).http_status == 404
    assert verification_for("<script>", None) == verification_for("", None)
    wrong = verification_for(new_code(), snapshot)  # the store returned someone else's row
    assert wrong.status == "unknown" and wrong.learner_name == ""
