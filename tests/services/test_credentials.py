"""A certificate as an Open Badges 3.0 credential: valid against the specification's own
schema, signed so that anyone holding the site's published keys can check it, and still
checkable after the key is rotated or SECRET_KEY changes."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
from urllib.parse import urlsplit

import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jsonschema import Draft201909Validator
from jwt.algorithms import RSAAlgorithm

from app.certificates import keys
from app.extensions import db
from app.models import Certificate, SigningKey
from app.services import accounts, credentials
from config import ROOT
from tests.conftest import run_at_once

SCHEMA = json.loads(
    (ROOT / "tests" / "fixtures" / "ob_v3p0_achievementcredential_schema.json").read_text()
)
ISSUED_AT = dt.datetime(2026, 12, 1, 9, 30, 15, 250_000, tzinfo=dt.UTC)
ADDRESSES = {
    "verify_url": "https://aula.example.org/verify/K7Q2-M9XD",
    "issuer_url": "https://aula.example.org/issuer",
    "achievement_url": "https://aula.example.org/en/courses/co-production/",
    "site_url": "https://aula.example.org/",
}


def schema_errors(document: dict) -> list[str]:
    validator = Draft201909Validator(SCHEMA)
    return [error.message for error in validator.iter_errors(document)]


def issue(**fields) -> Certificate:
    """A certificate as the issuing service stores it, for Ana Luísa Ferreira."""
    values = {
        "code": "K7Q2-M9XD",
        "user_id": None,
        "course": "co-production",
        "name": "Ana Luísa Ferreira",
        "course_title": {
            "es": "Coproducción e innovación social",
            "en": "Co-production and social innovation",
        },
        "organisation": {
            "es": "Laboratorio Mediterráneo de Coproducción de Innovación Social",
            "en": "Mediterranean Lab for Co-production of Social Innovation",
        },
        "signatories": [{"name": "Rubén Martín", "role": {"en": "Director"}}],
        "lessons": 2,
        "issued_at": ISSUED_AT,
        **fields,
    }
    certificate = Certificate(**values)
    db.session.add(certificate)
    db.session.commit()
    return certificate


def credential_of(certificate: Certificate, language: str = "en") -> dict:
    return credentials.build_credential(certificate, language=language, **ADDRESSES)


def sign(app, credential: dict, secret_key: str | None = None) -> str:
    """Sign as the app does, naming the key by its published address."""
    with app.test_request_context():
        return credentials.sign_credential(
            db.session,
            secret_key or app.secret_key,
            credential,
            key_url=keys.public_key_url,
        )


def published_keys(app) -> dict:
    """The key set as a verifier fetches it."""
    response = app.test_client().get("/.well-known/jwks.json")
    assert response.status_code == 200
    return response.get_json()


def encoded(part: dict) -> str:
    text = json.dumps(part, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def test_the_credential_of_a_certificate_is_valid_against_the_open_badges_schema(app_context):
    credential = credential_of(issue())
    assert schema_errors(credential) == []
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"] == ADDRESSES["verify_url"]
    assert credential["validFrom"] == "2026-12-01T09:30:15Z"
    assert credential["name"] == "Co-production and social innovation"
    assert credential["issuer"] == {
        "id": "https://aula.example.org/issuer",
        "type": ["Profile"],
        "name": "Mediterranean Lab for Co-production of Social Innovation",
        "url": "https://aula.example.org/",
    }
    subject = credential["credentialSubject"]
    assert subject["identifier"] == [
        {
            "type": "IdentityObject",
            "identityHash": "Ana Luísa Ferreira",
            "identityType": "name",
            "hashed": False,
        }
    ]
    achievement = subject["achievement"]
    assert achievement["id"] == ADDRESSES["achievement_url"]
    assert achievement["achievementType"] == "CertificateOfCompletion"
    assert "2 lessons" in achievement["description"]
    assert "Complete 2 lessons of the course" in achievement["criteria"]["narrative"]


@pytest.mark.parametrize(
    "missing",
    [("issuer",), ("credentialSubject", "achievement"), ("validFrom",), ("@context",)],
    ids=lambda path: ".".join(path),
)
def test_the_schema_refuses_a_credential_missing_what_it_requires(app_context, missing):
    """The validation above would catch a credential the service built without these."""
    credential = copy.deepcopy(credential_of(issue()))
    *parents, last = missing
    holder = credential
    for name in parents:
        holder = holder[name]
    del holder[last]
    assert schema_errors(credential) != []


def test_texts_are_in_the_language_asked_for_else_in_one_the_certificate_has(app_context):
    certificate = issue(organisation={"en": "Mediterranean Lab"})
    spanish = credential_of(certificate, "es")
    assert spanish["name"] == "Coproducción e innovación social"
    assert spanish["issuer"]["name"] == "Mediterranean Lab"
    assert spanish["credentialSubject"]["achievement"]["inLanguage"] == "es"
    portuguese = credential_of(certificate, "pt")
    assert portuguese["name"] in certificate.course_title.values()
    assert "inLanguage" not in portuguese["credentialSubject"]["achievement"]
    assert schema_errors(portuguese) == []


def test_the_learner_is_named_as_printed_and_never_by_their_email(app_context):
    user = accounts.create_user(
        db.session,
        email="ana.ferreira@example.org",
        password="correct horse battery",
        display_name="Ana",
    )
    credential = credential_of(issue(user_id=user.id))
    text = json.dumps(credential, ensure_ascii=False)
    assert "Ana Luísa Ferreira" in text
    assert "ana.ferreira@example.org" not in text and "example.org/verify" in text


def test_a_certificate_whose_learner_erased_their_account_names_no_one(app_context):
    credential = credential_of(issue(name=None, user_id=None))
    assert "identifier" not in credential["credentialSubject"]
    assert schema_errors(credential) == []


def test_a_revoked_certificate_makes_the_same_credential(app_context):
    """Whether a certificate still stands is the verification page's to say, now."""
    certificate = issue()
    before = credential_of(certificate)
    certificate.revoked_at = ISSUED_AT + dt.timedelta(days=3)
    certificate.revoked_reason = "issued by mistake"
    db.session.commit()
    assert credential_of(certificate) == before


def test_a_signed_credential_verifies_with_the_key_the_site_publishes(app, app_context):
    credential = credential_of(issue())
    token = sign(app, credential)

    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["typ"] == "JWT"
    assert set(header) == {"alg", "typ", "kid", "jwk"}
    assert "d" not in header["jwk"]
    # The kid is an address that gives the key's JWK, as the specification asks.
    dereferenced = app.test_client().get(urlsplit(header["kid"]).path)
    assert dereferenced.status_code == 200
    assert dereferenced.get_json() in published_keys(app)["keys"]

    payload = credentials.verify_credential(token, published_keys(app))
    assert payload == {
        **credential,
        "iss": "https://aula.example.org/issuer",
        "jti": ADDRESSES["verify_url"],
        "nbf": int(ISSUED_AT.replace(microsecond=0).timestamp()),
    }
    assert schema_errors(payload) == []


def test_a_credential_changed_by_one_character_does_not_verify(app, app_context):
    token = sign(app, credential_of(issue()))
    header, payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["credentialSubject"]["identifier"][0]["identityHash"] = "Ana Luísa Ferreirb"
    forged = ".".join([header, encoded(claims), signature])
    with pytest.raises(credentials.CredentialNotVerified, match="signature"):
        credentials.verify_credential(forged, published_keys(app))


def test_a_token_naming_a_key_the_site_never_published_does_not_verify(app, app_context):
    """A forger's JWT carries its own key in its header: that key is never trusted."""
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    credential = credential_of(issue())
    jwk = RSAAlgorithm.to_jwk(forger.public_key(), as_dict=True)
    forged = jwt.encode(
        credential, forger, algorithm="RS256", headers={"kid": "https://evil.test/k", "jwk": jwk}
    )
    sign(app, credential)  # the site has a key
    with pytest.raises(credentials.CredentialNotVerified, match="no key"):
        credentials.verify_credential(forged, published_keys(app))


def test_claims_that_disagree_with_the_credential_do_not_verify(app, app_context):
    """Signed with the site's key, but naming another credential than it carries."""
    credential = credential_of(issue())
    token = sign(app, credential)
    key, private = credentials._signing_key(db.session, app.secret_key)
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["jti"] = "https://aula.example.org/verify/OTHER"
    resigned = jwt.encode(claims, private, algorithm="RS256", headers={"kid": header["kid"]})
    with pytest.raises(credentials.CredentialNotVerified, match="jti"):
        credentials.verify_credential(resigned, published_keys(app))


def test_what_was_signed_before_a_rotation_still_verifies_and_new_ones_name_the_new_key(
    app, app_context
):
    credential = credential_of(issue())
    before = sign(app, credential)
    old = credentials.current_key(db.session, app.secret_key)
    new = credentials.rotate_key(db.session, app.secret_key)
    assert new.kid != old.kid
    after = sign(app, credential)

    key_set = published_keys(app)
    assert [key["kid"] for key in key_set["keys"]] == [new.kid, old.kid]
    assert credentials.verify_credential(before, key_set)["jti"] == credential["id"]
    assert credentials.verify_credential(after, key_set)["jti"] == credential["id"]
    assert jwt.get_unverified_header(after)["kid"].endswith("/" + new.kid)
    assert credentials.current_key(db.session, app.secret_key).kid == new.kid
    assert db.session.get(SigningKey, old.id).retired_at is not None


def test_the_private_key_is_stored_encrypted(app, app_context):
    """A copy of the database alone cannot sign: the key needs SECRET_KEY to open."""
    key = credentials.current_key(db.session, app.secret_key)
    stored = db.session.scalar(sa.select(SigningKey.private_key).where(SigningKey.id == key.id))
    assert stored.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(stored.encode(), None)
    for guess in (app.secret_key.encode(), b"aula", b"x" * 32):
        with pytest.raises(ValueError):
            serialization.load_pem_private_key(stored.encode(), guess)


def test_a_changed_secret_key_makes_a_new_key_and_old_credentials_still_verify(app, app_context):
    credential = credential_of(issue())
    before = sign(app, credential)
    old = credentials.current_key(db.session, app.secret_key)

    after = sign(app, credential, secret_key="a new secret key")
    new = credentials.current_key(db.session, "a new secret key")
    assert new.kid != old.kid
    assert db.session.get(SigningKey, old.id).retired_at is not None
    key_set = published_keys(app)
    assert credentials.verify_credential(before, key_set)["jti"] == credential["id"]
    assert credentials.verify_credential(after, key_set)["jti"] == credential["id"]
    assert jwt.get_unverified_header(after)["kid"].endswith("/" + new.kid)


def test_the_key_is_made_once_and_kept(app, app_context):
    first = credentials.current_key(db.session, app.secret_key)
    again = credentials.current_key(db.session, app.secret_key)
    assert again.kid == first.kid
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SigningKey)) == 1
    assert first.kid == credentials.thumbprint(first.public_jwk)


def test_hosts_that_find_no_key_at_once_make_one_and_sign_with_it(app):
    made = run_at_once(
        app, 3, lambda: credentials.current_key(db.session, app.config["SECRET_KEY"]).kid
    )
    assert len(set(made)) == 1
    with app.app_context():
        assert db.session.scalars(sa.select(SigningKey.kid)).all() == made[:1]


def test_the_thumbprint_is_the_one_rfc_7638_gives():
    """The RFC's own example key (section 3.1) and its thumbprint."""
    key = {
        "kty": "RSA",
        "n": (
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc"
            "_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR"
            "0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTW"
            "hAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        ),
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert credentials.thumbprint(key) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
