"""Where verifiers of the site's Open Badges credentials look: the key set, each key, and
the issuer's profile. Public, the same for everyone, and cached a few minutes: a key made
by a rotation is published before any verifier's copy of the set is older than that."""

from __future__ import annotations

from flask import Response, abort, json, url_for

from app.certificates import bp
from app.extensions import content, db
from app.services import credentials

# Short: a verifier's copy of the key set must soon include a key made by a rotation.
CACHED_FOR = "public, max-age=300"


def _json(document: dict, mimetype: str) -> Response:
    response = Response(json.dumps(document), mimetype=mimetype)
    response.headers["Cache-Control"] = CACHED_FOR
    # Public documents: a verifier running in a browser on another site may read them.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def public_key_url(kid: str) -> str:
    """The absolute address of one key's public JWK: what a credential's header names its
    key by (see `credentials.sign_credential`)."""
    return url_for("certificates.public_key", kid=kid, _external=True)


def issuer_url(course: str) -> str:
    """The absolute address of the profile of the organisation giving a course: the
    `issuer.id` of its credentials (a site may hold courses of several organisations)."""
    return url_for("certificates.issuer", course=course, _external=True)


@bp.get("/.well-known/jwks.json")
def key_set():
    """Every key the site ever signed with, as a JSON Web Key Set."""
    return _json(credentials.public_key_set(db.session), "application/json")


@bp.get("/keys/<kid>")
def public_key(kid: str):
    """One key's public JWK, which a credential's header names it by."""
    jwk = credentials.public_key(db.session, kid)
    if jwk is None:
        abort(404)
    return _json(jwk, "application/jwk+json")


@bp.get("/issuer/<course>")
def issuer():
    """The Open Badges profile of the organisation giving a course, in the course's own
    language: the issuer its credentials name."""
    course = content.course
    profile = credentials.issuer_profile(
        course.organisation,
        course.default_language,
        issuer_url=issuer_url(course.slug),
        site_url=url_for("learn.root", _external=True),
    )
    return _json({"@context": list(credentials.CONTEXTS), **profile}, "application/ld+json")
