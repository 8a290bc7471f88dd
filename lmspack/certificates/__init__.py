"""Certificates: codes, the frozen snapshot of what is certified, the PDF, the Open Badge and
the learner's CPD record. Pure functions on plain data; the tool stores and serves them.

How the tool is meant to use them when a learner meets the certificate rules:

    code = codes.new_code()                                   # unique index in the store
    snap = snapshot.snapshot_for(course, learner_name=..., completed_at=..., score=...,
                                 code=code, verify_url=url_for("verify", code=code),
                                 issued_at=now, live_session_date=attended_on)
    store snap.to_json() with the certificate row            # never re-derived from the course

    GET /certificates/<code>.pdf  -> pdf.certificate_pdf(CertificateSnapshot.from_json(row))
                                     (same snapshot, same bytes: no need to store the PDF)
    GET /certificates/<code>.json -> badge.issue_badge(snap, Issuer(...), key_pem, kid)
    GET /verify/<typed>           -> codes.normalise(typed) -> look up by code ->
                                     verify.verification_for(typed, snap_or_None, revoked_at=...)
                                     (.http_status is 404 for unknown codes)
    tool JWKS                     += badge.public_jwk(key_pem, kid)
    CPD record                    -> record.record_for(course, ...) -> record_markdown / record_pdf
"""
