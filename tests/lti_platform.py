"""A small LTI 1.3 learning platform for the tests, served over real HTTP on a free port:
its own keys and key set, an OpenID Connect authorisation endpoint that answers with a
signed id_token (form_post), a token endpoint that checks the tool's client assertion
against the tool's published key set, and line items that record the scores they are sent
and can be told to be down."""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app.services import lti
from tests.web.servers import free_port

CLIENT_ID = "aula-tool"
DEPLOYMENT_ID = "deployment-1"
KEY_ID = "platform-key-1"
# Where the tool lives for Flask's test client.
TOOL = "http://localhost"
HIDDEN = re.compile(r'name="(id_token|state)" value="([^"]*)"')


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Received:
    """A score the platform was sent: to which line item (path and query), how, and what."""

    path: str
    query: str
    content_type: str
    score: dict[str, Any]


@dataclass
class TestPlatform:
    base: str
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    # The key it starts with, which a test may replace (under the same kid).
    first_key: rsa.RSAPrivateKey = field(init=False)
    # Not in the key set: what a forger signs with.
    other_key: rsa.RSAPrivateKey = field(default_factory=new_key)
    # The tool's published key set, which its client assertions are checked against.
    tool_key_set: dict[str, Any] | None = None
    # Claims the next id_token is given (None removes one), and how it is signed.
    next_claims: dict[str, Any] = field(default_factory=dict)
    next_signing: tuple[rsa.RSAPrivateKey, str] | None = None
    # How many score requests to answer 503 before taking them.
    down_for: int = 0
    # The status score requests are refused with, if any.
    refusing: int | None = None
    # Seconds a score request's answer is trickled over, a byte at a time.
    trickling: float = 0
    scores: list[Received] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    assertions: list[dict[str, Any]] = field(default_factory=list)
    # The target link URI of the link being launched.
    target: str = ""

    def __post_init__(self) -> None:
        self.first_key = self.key

    @property
    def issuer(self) -> str:
        return self.base

    def reset(self) -> None:
        self.key = self.first_key
        self.tool_key_set = None
        self.next_claims = {}
        self.next_signing = None
        self.down_for = 0
        self.refusing = None
        self.trickling = 0
        self.scores.clear()
        self.tokens.clear()
        self.assertions.clear()

    def details(self, **changes: Any) -> lti.PlatformDetails:
        values = {
            "name": "Test Moodle",
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "deployment_ids": (DEPLOYMENT_ID,),
            "key_set_url": f"{self.base}/jwks",
            "auth_url": f"{self.base}/auth",
            "token_url": f"{self.base}/token",
            **changes,
        }
        return lti.PlatformDetails(**values)

    def public_key_set(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]}

    def claims(self, request: dict[str, str], target: str) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": request["client_id"],
            "sub": "learner-1",
            "iat": now,
            "exp": now + 300,
            "nonce": request["nonce"],
            "name": "Rita Lopes",
            lti.MESSAGE_TYPE: "LtiResourceLinkRequest",
            lti.VERSION: "1.3.0",
            lti.DEPLOYMENT_ID: DEPLOYMENT_ID,
            lti.TARGET_LINK_URI: target,
            lti.RESOURCE_LINK: {"id": "link-1"},
            lti.ROLES: ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
            lti.CONTEXT: {"id": "context-1", "title": "Community work 2027"},
            lti.LAUNCH_PRESENTATION: {"locale": "pt-PT"},
            lti.AGS_ENDPOINT: {
                "scope": [lti.SCORE_SCOPE],
                "lineitem": f"{self.base}/lineitems/7/lineitem?type=lti",
            },
        }
        for name, value in self.next_claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return claims

    def sign(self, claims: dict[str, Any]) -> str:
        key, kid = self.next_signing or (self.key, KEY_ID)
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})

    # --- the platform's endpoints ---

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self._answer(request)
        return response(environ, start_response)

    def _answer(self, request: Request) -> Response:
        if request.path == "/jwks":
            return Response(json.dumps(self.public_key_set()), mimetype="application/json")
        if request.path == "/auth":
            return self._authorise(request)
        if request.path == "/token" and request.method == "POST":
            return self._token(request)
        if request.path.endswith("/scores") and request.method == "POST":
            return self._score(request)
        return Response("not found", status=404)

    def _authorise(self, request: Request) -> Response:
        params = request.args.to_dict()
        assert params["response_type"] == "id_token"
        assert params["response_mode"] == "form_post"
        assert params["scope"] == "openid"
        id_token = self.sign(self.claims(params, self.target))
        page = (
            f'<form method="post" action="{html.escape(params["redirect_uri"])}">'
            f'<input type="hidden" name="id_token" value="{html.escape(id_token)}">'
            f'<input type="hidden" name="state" value="{html.escape(params["state"])}">'
            "</form>"
        )
        return Response(page, mimetype="text/html")

    def _token(self, request: Request) -> Response:
        form = request.form
        try:
            assert form["grant_type"] == "client_credentials"
            assert form["client_assertion_type"] == (
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            )
            assertion = form["client_assertion"]
            kid = jwt.get_unverified_header(assertion)["kid"]
            keys = (self.tool_key_set or {}).get("keys", [])
            key = jwt.PyJWK(next(k for k in keys if k["kid"] == kid))
            claims = jwt.decode(
                assertion,
                key,
                algorithms=["RS256"],
                audience=f"{self.base}/token",
                issuer=CLIENT_ID,
                options={"require": ["exp", "iat", "jti", "sub"]},
            )
            assert claims["sub"] == CLIENT_ID
            assert lti.SCORE_SCOPE in form["scope"].split()
        except (AssertionError, KeyError, StopIteration, jwt.InvalidTokenError):
            return Response('{"error": "invalid_client"}', 401, mimetype="application/json")
        self.assertions.append(claims)
        token = secrets.token_urlsafe(16)
        self.tokens.add(token)
        body = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        return Response(json.dumps(body), mimetype="application/json")

    def _score(self, request: Request) -> Response:
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if bearer not in self.tokens:
            return Response("no token", 401)
        if self.refusing is not None:
            return Response("refused", status=self.refusing)
        if self.down_for > 0:
            self.down_for -= 1
            return Response("down for maintenance", 503)
        if self.trickling:
            return Response(self._trickle(self.trickling), status=200)
        self.scores.append(
            Received(
                path=request.path,
                query=request.query_string.decode(),
                content_type=request.mimetype,
                score=request.get_json(force=True),
            )
        )
        return Response(status=204)

    @staticmethod
    def _trickle(seconds: float) -> Iterator[bytes]:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            yield b" "
            time.sleep(0.05)

    # --- the browser's part ---

    def launch(self, client, target: str, **login: str):
        """What a browser does from a link on the platform: the login initiation at the
        tool, the platform's authorisation endpoint, then the launch form posted to the
        tool. The tool's answer to the launch."""
        params = {
            "iss": self.issuer,
            "login_hint": "hint-1",
            "target_link_uri": f"{TOOL}{target}",
            "lti_message_hint": "message-1",
            "client_id": CLIENT_ID,
            "lti_deployment_id": DEPLOYMENT_ID,
            **login,
        }
        started = client.get("/lti/login", query_string=params)
        assert started.status_code == 302, started.get_data(as_text=True)
        id_token, state = self.authorise(started.headers["Location"], f"{TOOL}{target}")
        return client.post("/lti/launch", data={"id_token": id_token, "state": state})

    def authorise(self, location: str, target: str) -> tuple[str, str]:
        """The id_token and state the platform's authorisation endpoint posts back, for a
        link to `target` (which the platform knows from its own link, by the hints)."""
        self.target = target
        with urllib.request.urlopen(location, timeout=10) as response:
            page = response.read().decode()
        fields = dict(HIDDEN.findall(page))
        return html.unescape(fields["id_token"]), html.unescape(fields["state"])


@contextmanager
def serving_platform() -> Iterator[TestPlatform]:
    port = free_port()
    platform = TestPlatform(base=f"http://127.0.0.1:{port}")
    server = make_server("127.0.0.1", port, platform, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield platform
    finally:
        server.shutdown()
        thread.join()
