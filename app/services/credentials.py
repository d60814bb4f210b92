"""Certificates as Open Badges 3.0 credentials (1EdTech, on the W3C Verifiable Credentials
Data Model 2.0), signed as VC-JWTs (the specification's section 8.2, JSON Web Token Proof
Format) with keys the site keeps in its database and publishes as a JSON Web Key Set.

The keys live in the database because the site may run on several hosts that share nothing
else. Their private halves are stored encrypted with a password derived from SECRET_KEY,
so that a copy of the database alone cannot sign a credential."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import force_locale, ngettext
from sqlalchemy.orm import Session

from app.content.model import in_language
from app.models import Certificate, SigningKey, utcnow

# PyJWT and cryptography are imported by the functions that sign or verify: at import they
# added about 25 ms to every start-up, for pages (certificates, LTI launches) few requests ask.
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

log = logging.getLogger(__name__)

ALGORITHM = "RS256"
KEY_SIZE = 2048
CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
# SECRET_KEY also signs sessions and names rate-limit counters: this keeps the password apart.
PASSWORD_CONTEXT = b"aula: the password of the credential signing keys"
# Any fixed number will do (see database.MIGRATION_LOCK_KEY): "Keys" in ASCII.
KEY_CREATION_LOCK = 0x4B657973


class CredentialNotVerified(ValueError):
    """A VC-JWT that is not a credential this site's key set vouches for, and why."""


def _password(secret_key: str | bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    secret = secret_key if isinstance(secret_key, bytes) else secret_key.encode()
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PASSWORD_CONTEXT)
    return derived.derive(secret)


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def thumbprint(public_jwk: Mapping[str, Any]) -> str:
    """The key's JWK thumbprint (RFC 7638): SHA-256 over its required members, in order and
    without spaces, base64url-encoded. It names the key the same wherever it is computed."""
    required = {name: public_jwk[name] for name in ("e", "kty", "n")}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True)
    return _base64url(hashlib.sha256(canonical.encode()).digest())


def _new_key(password: bytes) -> tuple[SigningKey, rsa.RSAPrivateKey]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    public = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    public_jwk = {name: public[name] for name in ("kty", "n", "e")}
    kid = thumbprint(public_jwk)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    )
    key = SigningKey(
        kid=kid,
        private_key=pem.decode("ascii"),
        public_jwk={**public_jwk, "kid": kid, "use": "sig", "alg": ALGORITHM},
        created_at=utcnow(),
    )
    return key, private


def _opened(key: SigningKey, password: bytes) -> rsa.RSAPrivateKey | None:
    """The key's private half, or None when this password does not open it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        private = serialization.load_pem_private_key(key.private_key.encode(), password)
    except (ValueError, TypeError):
        return None
    return private if isinstance(private, rsa.RSAPrivateKey) else None


def _newest_in_use(session: Session) -> SigningKey | None:
    return session.scalars(
        sa.select(SigningKey)
        .where(SigningKey.retired_at.is_(None))
        .order_by(SigningKey.created_at.desc(), SigningKey.id.desc())
        .limit(1)
    ).first()


def _take_turn_to_change_keys(session: Session) -> None:
    """Wait until no other process or host is changing the keys, and keep them from doing
    so until this transaction ends: two hosts that find no key at the same moment would
    otherwise each make one, and sign with different keys."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(KEY_CREATION_LOCK)))
    else:
        # Writing, even nothing, takes SQLite's one writer's lock (waiting its busy timeout).
        session.execute(sa.update(SigningKey).where(SigningKey.id == -1).values(kid=""))


def _signing_key(session: Session, secret_key: str | bytes) -> tuple[SigningKey, rsa.RSAPrivateKey]:
    password = _password(secret_key)
    key = _newest_in_use(session)
    private = _opened(key, password) if key is not None else None
    if key is not None and private is not None:
        return key, private
    _take_turn_to_change_keys(session)
    # Another host may have made one, or retired this one, while this one waited.
    key = _newest_in_use(session)
    private = _opened(key, password) if key is not None else None
    if key is not None and private is None:
        # SECRET_KEY changed: the key cannot sign any more, but stays published, so that
        # what it signed still verifies.
        log.warning("signing key %s does not open with this SECRET_KEY: retired", key.kid)
        key.retired_at = utcnow()
    if key is None or private is None:
        key, private = _new_key(password)
        session.add(key)
    session.commit()
    return key, private


def current_key(session: Session, secret_key: str | bytes) -> SigningKey:
    """The key new credentials are signed with: the newest not retired. Made (and committed)
    when there is none, or when the newest does not open with `secret_key` (SECRET_KEY was
    changed), which is then retired."""
    return _signing_key(session, secret_key)[0]


def rotate_key(session: Session, secret_key: str | bytes) -> SigningKey:
    """Retire the keys in use and make a new one, committed. Retired keys are kept and
    published, so that credentials signed with them still verify."""
    _take_turn_to_change_keys(session)
    now = utcnow()
    session.execute(
        sa.update(SigningKey).where(SigningKey.retired_at.is_(None)).values(retired_at=now)
    )
    key, _private = _new_key(_password(secret_key))
    session.add(key)
    session.commit()
    return key


def public_key_set(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every key's public half, retired ones too, as a JSON Web Key Set (RFC 7517), newest
    first: where verifiers find the key a credential names."""
    keys = session.scalars(
        sa.select(SigningKey).order_by(SigningKey.created_at.desc(), SigningKey.id.desc())
    )
    return {"keys": [_public_jwk(key) for key in keys]}


def public_key(session: Session, kid: str) -> dict[str, Any] | None:
    """The public JWK of the key with this thumbprint, retired or not; None if there is none."""
    key = session.scalar(sa.select(SigningKey).where(SigningKey.kid == kid))
    return None if key is None else _public_jwk(key)


def _public_jwk(key: SigningKey) -> dict[str, Any]:
    return {**key.public_jwk, "kid": key.kid, "use": "sig", "alg": ALGORITHM}


def _date_time(moment: dt.datetime) -> str:
    # Whole seconds: the JWT's nbf, a whole number of seconds, must equal validFrom.
    return moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def issuer_profile(
    organisation: Mapping[str, str], language: str, *, issuer_url: str, site_url: str
) -> dict[str, Any]:
    """The issuer as an Open Badges Profile: the organisation, named in `language` (or in
    another when it has no name in that one), at `issuer_url`."""
    profile: dict[str, Any] = {"id": issuer_url, "type": ["Profile"]}
    name = in_language(organisation, language)
    if name:
        profile["name"] = name
    profile["url"] = site_url
    return profile


def build_credential(
    certificate: Certificate,
    *,
    language: str,
    verify_url: str,
    issuer_url: str,
    achievement_url: str,
    site_url: str,
) -> dict[str, Any]:
    """The certificate as an OpenBadgeCredential, its texts in `language` where it has them.
    The learner is named as the certificate prints them, never by email. Whether it was
    revoked since is not in it: the verification page (`verify_url`) says so."""
    title = in_language(certificate.course_title, language)
    with force_locale(language):
        description = ngettext(
            "Certificate of completion of the course %(course)s, of %(num)d lesson.",
            "Certificate of completion of the course %(course)s, of %(num)d lessons.",
            certificate.lessons,
            course=title,
        )
        narrative = ngettext(
            "Complete %(num)d lesson of the course, passing the quizzes the course requires.",
            "Complete %(num)d lessons of the course, passing the quizzes the course requires.",
            certificate.lessons,
        )
    subject: dict[str, Any] = {"type": ["AchievementSubject"]}
    if certificate.name:
        subject["identifier"] = [
            {
                "type": "IdentityObject",
                "identityHash": certificate.name,
                "identityType": "name",
                "hashed": False,
            }
        ]
    subject["achievement"] = {
        "id": achievement_url,
        "type": ["Achievement"],
        "name": title,
        "description": description,
        "criteria": {"narrative": narrative},
        # "Certificate" in this vocabulary designates an occupation's requisite skills.
        "achievementType": "CertificateOfCompletion",
    }
    if certificate.course_title.get(language):
        subject["achievement"]["inLanguage"] = language
    return {
        "@context": list(CONTEXTS),
        "id": verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer_profile(
            certificate.organisation, language, issuer_url=issuer_url, site_url=site_url
        ),
        "validFrom": _date_time(certificate.issued_at),
        "name": title,
        "credentialSubject": subject,
    }


def _numeric_date(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp())


def _registered_claims(credential: Mapping[str, Any]) -> dict[str, Any]:
    """The JWT claims Open Badges 3.0 maps from the credential's own properties."""
    claims: dict[str, Any] = {
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "nbf": _numeric_date(credential["validFrom"]),
    }
    subject_id = credential["credentialSubject"].get("id")
    if subject_id is not None:
        claims["sub"] = subject_id
    if "validUntil" in credential:
        claims["exp"] = _numeric_date(credential["validUntil"])
    return claims


def sign_credential(
    session: Session,
    secret_key: str | bytes,
    credential: Mapping[str, Any],
    *,
    key_url: Callable[[str], str],
) -> str:
    """The credential as a VC-JWT (a compact JWS): its properties and the registered claims
    the specification maps them to (iss, jti, nbf, sub and exp where they apply), signed
    RS256 with the current key.

    The header's `kid` must be a URI that dereferences to the key's JWK: `key_url` gives it
    from the key's thumbprint (the app's is `app.certificates.keys.public_key_url`). The
    header carries the public JWK too, for verifiers that do not fetch it."""
    import jwt

    key, private = _signing_key(session, secret_key)
    headers = {"typ": "JWT", "kid": key_url(key.kid), "jwk": dict(key.public_jwk)}
    payload = {**credential, **_registered_claims(credential)}
    return jwt.encode(payload, private, algorithm=ALGORITHM, headers=headers)


def sign_jwt(session: Session, secret_key: str | bytes, payload: Mapping[str, Any]) -> str:
    """`payload` as a JWT signed RS256 with the current key, its header naming the key by
    its thumbprint, as the key set publishes it (/.well-known/jwks.json): how the site
    proves itself to others, such as learning platforms it sends scores to."""
    import jwt

    key, private = _signing_key(session, secret_key)
    return jwt.encode(dict(payload), private, algorithm=ALGORITHM, headers={"kid": key.kid})


def _named_key(header: Mapping[str, Any], key_set: Mapping[str, Any]) -> dict[str, Any]:
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise CredentialNotVerified("the JWT's header names no key (kid)")
    # The header names a key by its address, which ends with its thumbprint.
    thumb = kid.rstrip("/").rsplit("/", 1)[-1]
    for candidate in key_set.get("keys", []):
        if candidate.get("kid") == thumb:
            return candidate
    raise CredentialNotVerified(f"no key {thumb} in the key set")


def verify_credential(jwt_text: str, key_set: Mapping[str, Any]) -> dict[str, Any]:
    """The payload of a VC-JWT signed RS256 with the key of `key_set` its header names, and
    whose registered claims agree with the credential (Open Badges 3.0, 8.2.4). A key the
    JWT carries in its own header is never trusted. Raises CredentialNotVerified saying why
    it is not."""
    import jwt

    try:
        header = jwt.get_unverified_header(jwt_text)
    except jwt.InvalidTokenError as error:
        raise CredentialNotVerified(f"not a JWT: {error}") from error
    if header.get("alg") != ALGORITHM:
        raise CredentialNotVerified(f"signed with {header.get('alg')}, not {ALGORITHM}")
    key = jwt.PyJWK(_named_key(header, key_set), algorithm=ALGORITHM)
    try:
        payload = jwt.decode(
            jwt_text,
            key,
            algorithms=[ALGORITHM],
            options={"require": ["iss", "jti", "nbf"]},
        )
    except jwt.InvalidTokenError as error:
        raise CredentialNotVerified(f"the signature or claims do not verify: {error}") from error
    try:
        expected = _registered_claims(payload)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise CredentialNotVerified(f"the payload is not a credential: {error!r}") from error
    differing = sorted(name for name, value in expected.items() if payload.get(name) != value)
    if differing:
        raise CredentialNotVerified(f"claims that disagree with the credential: {differing}")
    return payload
