"""The launch's checks: pylti1p3's `FlaskMessageLaunch` with the library's gaps closed.

- exp and iat required with a small leeway; `aud` may be a list and then `azp` must be
  present and match; only RS256/384/512.
- The platform's key set comes from `lmspack.lti.keyset` (cached in the store with the
  platform's Cache-Control, fetched once at a time per key set across workers). An unknown
  kid, or a known kid whose signature fails (the platform replaced the key under the same
  kid), refetches it once, at most once per 30 s per key set. A platform that came by
  dynamic registration is fetched through the registration's address guard.
- The login binding, last, after every other check passed: the state the browser brought
  back must name a login this tool started (`store.logins`, consumed by one DELETE ...
  RETURNING in the launch's transaction), the id_token's nonce must be that login's nonce
  and its issuer that login's platform. Browser B posting browser A's unused id_token with
  B's own state is refused; A's login stays for A.
"""

from __future__ import annotations

import hmac
import json

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from jwcrypto.jwk import JWK
from pylti1p3.contrib.flask import FlaskMessageLaunch
from pylti1p3.exception import LtiKeyException, LtiMessageValidationException
from sqlalchemy.orm import Session

from ..lti.keyset import CachedKeySet, KeySetError, KeySets
from ..lti.outbound import OutboundPolicy, guarded_session
from ..store import Store, logins
from . import embedded
from .pylti import ALLOWED_ALGS, DbToolConf, LaunchError

_KEY_CACHE: dict[str, object] = {}  # JWK JSON -> its public key object (content-addressed)


def _jwk_key(key: dict) -> object:
    """The platform key as a `cryptography` key object, parsed once per process for each
    distinct JWK (keyed by its whole JSON, so never stale): PyJWT verifies with the object
    instead of parsing a PEM on every launch."""
    text = json.dumps(key, sort_keys=True)
    found = _KEY_CACHE.get(text)
    if found is None:
        try:
            pem = JWK.from_json(text).export_to_pem()
            found = serialization.load_pem_public_key(pem)
        except (ValueError, TypeError) as exc:
            raise LtiKeyException("The platform's public key could not be read.") from exc
        if len(_KEY_CACHE) > 256:
            _KEY_CACHE.clear()
        _KEY_CACHE[text] = found
    return found


class ToolMessageLaunch(FlaskMessageLaunch):
    leeway: int = 15

    def __init__(
        self,
        request,
        tool_config: DbToolConf,
        *,
        db: Session,
        leeway: int,
        cache_store: Store,
        read: Session | None = None,
        outbound: OutboundPolicy | None = None,
        timeout: float = 10.0,
        tool_url: str = "",
        **kw,
    ):
        super().__init__(request, tool_config, **kw)
        self._db = db  # writes: the login is consumed here
        self._read = read or db  # reads (on SQLite they take no write lock)
        self._cache_store = cache_store  # key set cache writes, kept even if the launch fails
        self._outbound = outbound or OutboundPolicy()
        self._timeout = timeout
        self._tool_url = tool_url  # the origin a completion page posts from
        self._keyset: CachedKeySet | None = None
        self.leeway = leeway

    # aud / azp ------------------------------------------------------------
    def get_client_id(self) -> str:
        body = self._get_jwt_body()
        aud = body.get("aud")
        azp = body.get("azp")
        if isinstance(aud, list):
            if not aud or not all(isinstance(a, str) for a in aud):
                raise LaunchError("The id_token's audience (aud) is empty or malformed.")
            if len(aud) > 1 and not azp:
                raise LaunchError(
                    "The id_token names several audiences (aud) but no authorized party (azp)."
                )
            if azp is not None:
                if azp not in aud:
                    raise LaunchError("The id_token's azp is not one of its audiences (aud).")
                return azp
            return aud[0]
        if not isinstance(aud, str) or not aud:
            raise LaunchError("The id_token has no audience (aud).")
        if azp is not None and azp != aud:
            raise LaunchError("The id_token's authorized party (azp) does not match its aud.")
        return aud

    # header ---------------------------------------------------------------
    def validate_header(self) -> ToolMessageLaunch:
        header = self._jwt.get("header") or {}
        alg = header.get("alg")
        if alg not in ALLOWED_ALGS:
            raise LaunchError(
                f"The id_token is signed with {alg!r}; this tool accepts only "
                + ", ".join(ALLOWED_ALGS)
                + "."
            )
        if not header.get("kid"):
            raise LaunchError("The id_token's header has no key id (kid).")
        return self

    # keys -----------------------------------------------------------------
    def _key_sets(self) -> KeySets:
        platform = self._tool_config.platform
        http: requests.Session = self._requests_session
        if platform is not None and platform.added_via not in ("hand", "unrecorded"):
            # its key set URL came from the platform's own answer, not from an administrator
            http = guarded_session(self._outbound, self._timeout)
        return KeySets(self._cache_store, http, read=self._read, timeout=self._timeout)

    def _key_set_url(self) -> str:
        assert self._registration is not None
        return self._registration.get_key_set_url() or ""

    def _find_key(self, keyset: CachedKeySet) -> dict | None:
        header = self._jwt.get("header") or {}
        kid, alg = header.get("kid"), header.get("alg")
        for k in keyset.keys:
            if isinstance(k, dict) and k.get("kid") == kid and k.get("alg", alg) == alg:
                return k
        return None

    def _refreshed_key(self, sets: KeySets) -> dict | None:
        """The token's key from a refetched key set (None: not refetched, or not in it)."""
        assert self._keyset is not None
        newer = sets.refresh(self._key_set_url(), self._keyset)
        if newer is None:
            return None
        self._keyset = newer
        return self._find_key(newer)

    def get_public_key(self) -> tuple[dict, str]:
        header = self._jwt.get("header") or {}
        kid, alg = header.get("kid"), header.get("alg")
        sets = self._key_sets()
        try:
            self._keyset = sets.get(self._key_set_url())
            found = self._find_key(self._keyset)
            if found is None:  # the platform may have rotated its keys
                found = self._refreshed_key(sets)
        except KeySetError as exc:
            raise LaunchError(str(exc), exc.status) from None
        if found is None:
            raise LaunchError(f"The platform's key set has no key {kid!r} for {alg}.")
        return found, alg

    # signature and claims -------------------------------------------------
    def _decode(self, jwk: dict, alg: str) -> None:
        jwt.decode(
            self._get_id_token(),
            _jwk_key(jwk),
            algorithms=[alg],
            audience=self.get_client_id(),
            issuer=self.get_iss(),
            leeway=self.leeway,
            options={"require": ["exp", "iat", "iss", "aud", "nonce"]},
        )

    def validate_jwt_signature(self) -> ToolMessageLaunch:
        public_key, alg = self.get_public_key()
        try:
            try:
                self._decode(public_key, alg)
            except jwt.InvalidSignatureError:
                # A known kid, a failed signature: the platform may have replaced the key
                # under the same kid. Refetch once (rate-limited) and try the new key.
                try:
                    again = self._refreshed_key(self._key_sets())
                except KeySetError:
                    again = None
                if again is None or again == public_key:
                    raise
                self._decode(again, alg)
        except jwt.ExpiredSignatureError as exc:
            raise LaunchError("The launch has expired (exp is in the past).") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise LaunchError(f"The id_token lacks the required claim {exc.claim!r}.") from exc
        except jwt.ImmatureSignatureError as exc:
            raise LaunchError("The id_token was issued in the future (iat).") from exc
        except jwt.InvalidSignatureError as exc:
            raise LaunchError("The id_token's signature is not valid.") from exc
        except jwt.InvalidTokenError as exc:
            raise LaunchError(f"The id_token is not valid: {exc}.") from exc
        return self

    def validate_deployment(self) -> ToolMessageLaunch:
        try:
            return super().validate_deployment()
        except LtiMessageValidationException as exc:
            raise LaunchError(
                f"This tool is not set up for the deployment "
                f"{self._get_deployment_id()!r} of this platform. An administrator can add it "
                "with `lmspack platform add-deployment`."
            ) from exc

    def validate_registration(self) -> ToolMessageLaunch:
        deployment = self._get_jwt_body().get(
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
        )
        if isinstance(deployment, str) and deployment:
            self._tool_config.deployment_hint = deployment  # read with the registration
        try:
            return super().validate_registration()
        except LtiMessageValidationException as exc:
            if isinstance(exc, LaunchError):
                raise
            raise LaunchError(
                f"This tool has no registration for the platform {self.get_iss()!r} with "
                f"client id {self.get_client_id()!r}."
            ) from exc

    def validate_nonce(self) -> ToolMessageLaunch:
        """The login binding (see the module's docstring)."""
        nonce = self._get_jwt_body().get("nonce")
        if not nonce or not isinstance(nonce, str):
            raise LaunchError("The id_token has no nonce.")
        login = self._session_service.consume_login(self._get_request_param("state"))
        if login is None:
            raise LaunchError(
                "This launch was already used or has expired (nonce). "
                "Open the activity again from your course page."
            )
        platform = self._tool_config.platform
        if not hmac.compare_digest(login.nonce.encode(), nonce.encode()) or (
            platform is None or login.platform_id != platform.id
        ):
            raise LaunchError(
                "This launch belongs to a login started in another browser or window "
                "(its nonce is not the one this browser's login was given). "
                "Open the activity again from your course page."
            )
        return self

    def validate_state(self) -> ToolMessageLaunch:
        """The state cookie; else the login's proof from the tool's own completion page;
        else, for a login still in flight, ProofNeeded (the launch asks the page for it)."""
        state = self._get_request_param("state")
        proof = self._get_request_param(embedded.PROOF_FIELD)
        if proof and isinstance(state, str) and isinstance(proof, str):
            embedded.check_proof(state, proof, self._tool_url)
            return self
        try:
            return super().validate_state()
        except LtiMessageValidationException as exc:
            login = (
                logins.pending(self._read, state)
                if isinstance(state, str) and 0 < len(state) <= 255
                else None
            )
            if login is not None:
                raise embedded.ProofNeeded(login.platform_id) from exc
            raise LaunchError(
                "The launch did not come back to the browser that started it (state). "
                "If your browser blocks cookies in embedded pages, open the activity in a "
                "new window."
            ) from exc

    def save_launch_data(self) -> ToolMessageLaunch:
        # Only deep linking needs the launch again (the picker posts back); a resource link
        # launch is written to the store instead.
        if self.is_deep_link_launch():
            self._session_service.save_launch_data(self._launch_id, self._jwt["body"])
        return self

    def validate(self) -> ToolMessageLaunch:
        if self._restored:
            raise LtiMessageValidationException("A restored launch can't be validated.")
        self._validated = True
        try:
            self.validate_state()
            self.validate_jwt_format()
            self.validate_header()
            self.validate_registration()
            self.validate_jwt_signature()
            self.validate_deployment()
            self.validate_message()
            self.validate_nonce()  # last: a launch that fails a check leaves its login
            self.save_launch_data()
        except Exception:
            self._validated = False
            raise
        return self
