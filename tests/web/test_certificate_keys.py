"""What a verifier of the site's credentials fetches, with no account: the key set, each
key, and the issuer's profile."""

from __future__ import annotations

from app.extensions import db
from app.services import credentials


def test_the_key_set_lists_every_key_retired_ones_too_and_no_private_part(app, client):
    assert client.get("/.well-known/jwks.json").get_json() == {"keys": []}
    with app.app_context():
        first = credentials.current_key(db.session, app.secret_key).kid
        second = credentials.rotate_key(db.session, app.secret_key).kid
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    keys = response.get_json()["keys"]
    assert [key["kid"] for key in keys] == [second, first]
    for key in keys:
        assert set(key) == {"kty", "n", "e", "kid", "use", "alg"}
        assert (key["kty"], key["use"], key["alg"], key["e"]) == ("RSA", "sig", "RS256", "AQAB")


def test_each_key_has_an_address_of_its_own(app, client):
    with app.app_context():
        kid = credentials.current_key(db.session, app.secret_key).kid
    response = client.get(f"/keys/{kid}")
    assert response.status_code == 200
    assert response.mimetype == "application/jwk+json"
    assert response.get_json() in client.get("/.well-known/jwks.json").get_json()["keys"]
    assert client.get("/keys/no-such-key").status_code == 404


def test_the_issuer_is_the_organisation_giving_the_course(client):
    response = client.get("/issuer/co-production")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert response.get_json() == {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "http://localhost/issuer/co-production",
        "type": ["Profile"],
        "name": "Laboratorio Mediterráneo de Coproducción de Innovación Social",
        "url": "http://localhost/",
    }


def test_verifiers_may_keep_them_a_few_minutes_whoever_asks(app, learner):
    """The same for everyone: a signed-in visitor's copy is not marked private."""
    with app.app_context():
        kid = credentials.current_key(db.session, app.secret_key).kid
    for visitor in (app.test_client(), learner):
        for path in ("/.well-known/jwks.json", f"/keys/{kid}", "/issuer/co-production"):
            response = visitor.get(path)
            assert response.headers["Cache-Control"] == "public, max-age=300", path
            assert "Set-Cookie" not in response.headers, path


def test_each_course_names_its_own_organisation_and_browsers_elsewhere_may_read_them(client):
    guide = client.get("/issuer/writing-lessons")
    assert guide.get_json()["name"] == "The Aula project"
    assert guide.get_json()["id"] == "http://localhost/issuer/writing-lessons"
    assert guide.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/.well-known/jwks.json").headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/issuer/no-such-course").status_code == 404
