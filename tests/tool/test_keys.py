"""Which key signs when: publish-before-sign rotation, with times given explicitly."""

from __future__ import annotations

from datetime import timedelta

from lmspack.store import Store, keys
from lmspack.store.models import utcnow


def _fresh(tmp_path) -> Store:
    st = Store.from_url(f"sqlite:///{tmp_path}/keys.sqlite")
    st.upgrade()  # makes the first key
    return st


def test_a_new_tool_signs_with_its_first_key_at_once(tmp_path):
    st = _fresh(tmp_path)
    with st.transaction() as s:
        first = keys.published_jwks(s)["keys"]
        assert len(first) == 1
        assert keys.signing_key(s).kid == first[0]["kid"]


def test_rotation_soon_after_set_up_keeps_the_first_key_signing(tmp_path):
    st = _fresh(tmp_path)
    with st.transaction() as s:
        first = keys.signing_key(s).kid
        new, old = keys.rotate(s, grace_days=1)
        assert old == [first]
        now = utcnow()
        assert keys.signing_key(s, now).kid == first  # the new key is only published
        later = now + timedelta(seconds=keys.SIGN_AFTER + 1)
        assert keys.signing_key(s, later).kid == new.kid
        # the old key stays published for the grace period after the new one signs...
        in_grace = later + timedelta(hours=23)
        assert first in {k["kid"] for k in keys.published_jwks(s, in_grace)["keys"]}
        # ...and then leaves the key set
        after = later + timedelta(days=1, minutes=1)
        assert [k["kid"] for k in keys.published_jwks(s, after)["keys"]] == [new.kid]
        assert keys.prune_retired(s, after) == 1


def test_rotation_with_sign_after_zero_signs_at_once(tmp_path):
    st = _fresh(tmp_path)
    with st.transaction() as s:
        first = keys.signing_key(s).kid
        new, _ = keys.rotate(s, grace_days=0, sign_after=0)
        now = utcnow() + timedelta(seconds=1)
        assert keys.signing_key(s, now).kid == new.kid != first
        assert [k["kid"] for k in keys.published_jwks(s, now)["keys"]] == [new.kid]
