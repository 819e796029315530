"""A real OAuth 2.0 authorisation server on 127.0.0.1, built from authlib's server-side grants.

authlib's framework-agnostic ``AuthorizationServer`` with a minimal ``http.server`` adapter:

- device authorisation (RFC 8628): ``POST /device_authorization``; the test "user" approves or
  denies at ``GET /device/approve?user_code=...&deny=1``; ``slow_down`` on chosen polls;
- authorisation code + PKCE (RFC 7636, S256 required): ``GET /authorize`` approves at once
  (the consent click) and redirects to the client's loopback URI;
- refresh tokens with rotation (a new refresh token every time) and reuse detection (a used
  refresh token is rejected with ``invalid_grant`` and revokes the whole token family);
- a protected OpenAI-chat endpoint ``POST /v1/chat/completions`` (401 for unknown or expired
  tokens) and a GitHub-Copilot-style exchange ``GET /copilot_internal/v2/token``;
- Sign-in-with-ChatGPT-style client registration: ``/authorize`` with
  ``client_id=dynamic_agent_client`` issues a client id (``oaiapp_test_<n>``) and returns it in
  the redirect; only that id may redeem the code and refresh its tokens; the token response
  carries an ID token (``iss`` = the server, ``aud`` = the issued id, the request's ``nonce``);
  ``State.grant_plan = False`` withholds the ``chatgpt.tokens.use.direct`` scope.

Every request is counted per path and grant type. Tokens carry a canary prefix so tests can
grep every output for it.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Request
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint, DeviceCodeGrant

CANARY_TOKEN = "canary-tok-5be1d0"
CLIENT_ID = "llmkit-test-client"
DYNAMIC_CLIENT = "dynamic_agent_client"
PLAN_SCOPE = "chatgpt.tokens.use.direct"


class Client(ClientMixin):  # type: ignore[misc]  # authlib is untyped: its classes are Any
    def __init__(self, client_id: str = CLIENT_ID, grant_plan: bool = True) -> None:
        self.client_id = client_id
        self.grant_plan = grant_plan

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        if not self.grant_plan:
            return " ".join(s for s in (scope or "").split() if s != PLAN_SCOPE)
        return scope or ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        parts = urlsplit(redirect_uri)  # RFC 8252 §7.3: any port on the loopback IP literal
        return parts.scheme == "http" and parts.hostname == "127.0.0.1"

    def check_client_secret(self, client_secret: str) -> bool:
        return False

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return True


@dataclass
class Token:
    access_token: str
    refresh_token: str | None
    scope: str
    issued_at: float
    expires_in: int
    family: int
    revoked: bool = False
    client_id: str | None = None  # set for registered (agent) clients: only they may refresh

    def check_client(self, client: Any) -> bool:
        return self.client_id is None or client.get_client_id() == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return time.time() >= self.issued_at + self.expires_in

    def is_revoked(self) -> bool:
        return self.revoked


@dataclass
class State:
    tokens: dict[str, Token] = field(default_factory=dict)  # by access token
    refresh: dict[str, Token] = field(default_factory=dict)  # by refresh token
    device: dict[str, dict[str, Any]] = field(default_factory=dict)  # by device code
    grants: dict[str, bool] = field(default_factory=dict)  # user code -> approved
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    slow_down_polls: set[int] = field(default_factory=set)
    polls: int = 0
    access_lifetime: int = 3600
    token_delay: float = 0.0  # seconds the token endpoint waits (widens race windows)
    families: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)
    reuse_detected: int = 0
    chat_auth: list[str] = field(default_factory=list)
    reject_chat: bool = False  # answer 401 to every chat request
    agent_clients: dict[str, str] = field(default_factory=dict)  # issued id -> ext_agent_host_id
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_forms: list[dict[str, str]] = field(default_factory=list)  # every /token form
    nonces: dict[str, str] = field(default_factory=dict)  # code -> nonce
    grant_plan: bool = True  # grant chatgpt.tokens.use.direct to registered clients

    def count(self, name: str) -> None:
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1


class Request(OAuth2Request):  # type: ignore[misc]  # authlib is untyped: its classes are Any
    def __init__(self, method: str, uri: str, headers: dict[str, str], form: dict[str, str]):
        super().__init__(method, uri, headers=headers)
        self._args = dict(parse_qsl(urlsplit(uri).query))
        self._form = form
        self.payload = BasicOAuth2Payload({**self._args, **form})

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class Server(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, state: State) -> None:
        super().__init__(scopes_supported=None)
        self.state = state
        self.family: int | None = None

        def access(client: Any, grant_type: str, user: Any, scope: str) -> str:
            return f"{CANARY_TOKEN}-at-{next(state.serial)}"

        def refresh(client: Any, grant_type: str, user: Any, scope: str) -> str:
            return f"{CANARY_TOKEN}-rt-{next(state.serial)}"

        self.register_token_generator(
            "default",
            BearerTokenGenerator(access, refresh, lambda client, gt: state.access_lifetime),
        )

    def query_client(self, client_id: str) -> Client | None:
        if client_id in (CLIENT_ID, DYNAMIC_CLIENT):
            return Client(client_id, self.state.grant_plan)
        if client_id in self.state.agent_clients:
            return Client(client_id, self.state.grant_plan)
        return None

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        old = getattr(request, "refresh_token", None)
        family = old.family if isinstance(old, Token) else next(self.state.families)
        client = getattr(request, "client", None)
        client_id = client.get_client_id() if isinstance(client, Client) else None
        record = Token(
            token["access_token"],
            token.get("refresh_token"),
            token.get("scope", ""),
            time.time(),
            int(token["expires_in"]),
            family,
            client_id=client_id if client_id in self.state.agent_clients else None,
        )
        with self.state.lock:
            self.state.tokens[record.access_token] = record
            if record.refresh_token:
                self.state.refresh[record.refresh_token] = record

    def create_oauth2_request(self, request: Any) -> Any:
        return request

    def create_json_request(self, request: Any) -> Any:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> Any:
        return status, body, dict(headers)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None


class DeviceEndpoint(DeviceAuthorizationEndpoint):  # type: ignore[misc]
    INTERVAL = 1
    EXPIRES_IN = 600
    base = ""
    state: State

    def get_verification_uri(self) -> str:
        return f"{self.base}/device"

    def save_device_credential(self, client_id: str, scope: str, data: dict[str, Any]) -> None:
        self.state.device[data["device_code"]] = {
            "client_id": client_id,
            "scope": scope,
            "expires_at": time.time() + data["expires_in"],
            **data,
        }


class DeviceCredential:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def get_client_id(self) -> str:
        return str(self.data["client_id"])

    def get_scope(self) -> str:
        return str(self.data.get("scope") or "")

    def get_user_code(self) -> str:
        return str(self.data["user_code"])

    def is_expired(self) -> bool:
        return time.time() >= float(self.data["expires_at"])


class DeviceGrant(DeviceCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]
    state: State

    def query_device_credential(self, device_code: str) -> DeviceCredential | None:
        data = self.state.device.get(device_code)
        return DeviceCredential(data) if data else None

    def query_user_grant(self, user_code: str) -> tuple[dict[str, str], bool] | None:
        approved = self.state.grants.get(user_code)
        return None if approved is None else ({"id": "user-1"}, approved)

    def should_slow_down(self, credential: Any) -> bool:
        self.state.polls += 1
        return self.state.polls in self.state.slow_down_polls


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]
    state: State

    def save_authorization_code(self, code: str, request: Any) -> None:
        self.state.codes[code] = {
            "redirect_uri": request.payload.redirect_uri,
            "scope": request.client.get_allowed_scope(request.payload.scope or ""),
            "code_challenge": request.payload.data.get("code_challenge"),
            "code_challenge_method": request.payload.data.get("code_challenge_method"),
            "client_id": getattr(request, "issued_client_id", CLIENT_ID),
        }
        nonce = request.payload.data.get("nonce")
        if nonce:
            self.state.nonces[code] = nonce

    def query_authorization_code(self, code: str, client: Any) -> Any:
        data = self.state.codes.get(code)
        if data is None or data["client_id"] != client.get_client_id():
            return None  # a code is redeemed only by the client it was issued to
        return AuthCode(code, data)

    def delete_authorization_code(self, authorization_code: Any) -> None:
        self.state.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: Any) -> dict[str, str]:
        return {"id": "user-1"}


class AuthCode:
    def __init__(self, code: str, data: dict[str, Any]) -> None:
        self.code = code
        self.data = data

    def get_redirect_uri(self) -> str:
        return str(self.data["redirect_uri"])

    def get_scope(self) -> str:
        return str(self.data["scope"])

    def is_expired(self) -> bool:
        return False

    def get_nonce(self) -> None:
        return None

    def get_auth_time(self) -> None:
        return None

    @property
    def code_challenge(self) -> str | None:
        return self.data["code_challenge"]  # type: ignore[no-any-return]

    @property
    def code_challenge_method(self) -> str | None:
        return self.data["code_challenge_method"]  # type: ignore[no-any-return]


class RotatingRefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    """Rotation: every refresh issues a new refresh token and revokes the used one. Reuse
    detection: presenting a revoked refresh token revokes its whole family (RFC 9700 §4.14.2)."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]
    INCLUDE_NEW_REFRESH_TOKEN = True
    state: State

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        with self.state.lock:
            token = self.state.refresh.get(refresh_token)
            if token is None:
                return None
            if token.revoked:
                self.state.reuse_detected += 1
                for other in self.state.refresh.values():
                    if other.family == token.family:
                        other.revoked = True
                return None
            return token

    def authenticate_user(self, refresh_token: Token) -> dict[str, str]:
        return {"id": "user-1"}

    def revoke_old_credential(self, refresh_token: Token) -> None:
        with self.state.lock:
            refresh_token.revoked = True
            self.state.tokens.pop(refresh_token.access_token, None)


class OAuthTestServer:
    """Runs the server in a thread; ``base`` is ``http://127.0.0.1:<port>``."""

    def __init__(self) -> None:
        self.state = State()
        self.server = Server(self.state)
        for cls in (DeviceGrant, CodeGrant, RotatingRefreshGrant):
            cls.state = self.state
        DeviceEndpoint.state = self.state
        self.server.register_grant(DeviceGrant)
        self.server.register_grant(CodeGrant, [CodeChallenge(required=True)])
        self.server.register_grant(RotatingRefreshGrant)
        self.server.register_endpoint(DeviceEndpoint)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        DeviceEndpoint.base = self.base
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> OAuthTestServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def count(self, name: str) -> int:
        return self.state.counts.get(name, 0)

    def issue(self, lifetime: int | None = None) -> dict[str, Any]:
        """Issue a token set directly (as if a login had happened)."""
        if lifetime is not None:
            self.state.access_lifetime = lifetime
        client = Client()
        token = self.server.generate_token(
            grant_type="authorization_code",
            client=client,
            user={"id": "u"},
            scope="chat",
            include_refresh_token=True,
        )
        self.server.save_token(token, Request("POST", self.base, {}, {}))
        return dict(token)


def _unsigned_jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def _handler(app: OAuthTestServer) -> type[BaseHTTPRequestHandler]:
    state = app.state

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            for name, value in (headers or {"Content-Type": "application/json"}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _request(self) -> Request:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            form = dict(parse_qsl(raw)) if "form" in self.headers.get("Content-Type", "") else {}
            self.raw_body = raw
            return Request(self.command, app.base + self.path, dict(self.headers), form)

        def do_GET(self) -> None:
            self._route()

        def do_POST(self) -> None:
            self._route()

        def _route(self) -> None:
            request = self._request()
            path = urlsplit(self.path).path
            state.count(path)
            if path == "/token":
                state.count("grant:" + request.form.get("grant_type", "?"))
                state.token_forms.append(dict(request.form))
                if state.token_delay:
                    time.sleep(state.token_delay)
                self._send(*self._with_id_token(request, app.server.create_token_response(request)))
            elif path == "/device_authorization":
                self._send(*app.server.create_endpoint_response("device_authorization", request))
            elif path == "/device/approve":
                state.grants[request.args["user_code"]] = request.args.get("deny") != "1"
                self._send(200, {"ok": True})
            elif path == "/authorize":
                state.authorize_requests.append(dict(request.args))
                issued = self._register(request)
                grant = app.server.get_consent_grant(request, end_user={"id": "user-1"})
                status, _, headers = app.server.create_authorization_response(
                    request, grant_user={"id": "user-1"}, grant=grant
                )
                omit = getattr(app, "omit_issued_client", False)
                if issued and not omit and "Location" in headers:  # comes back with the code
                    headers["Location"] += "&" + urlencode({"client_id": issued})
                self._send(status, b"", headers)
            elif path == "/copilot_internal/v2/token":
                self._copilot()
            elif path == "/v1/chat/completions":
                self._chat()
            else:
                self._send(404, {"error": "not_found"})

        def _register(self, request: Request) -> str | None:
            """The client id issued to a first sign-in with dynamic_agent_client (else None);
            a returning client keeps its id."""
            client_id = request.args.get("client_id")
            if client_id in state.agent_clients:
                request.issued_client_id = client_id
                return None
            if client_id != DYNAMIC_CLIENT:
                return None
            issued = f"oaiapp_test_{next(state.serial)}"
            state.agent_clients[issued] = request.args.get("ext_agent_host_id", "")
            request.issued_client_id = issued
            return issued

        def _with_id_token(
            self, request: Request, response: tuple[int, Any, dict[str, str]]
        ) -> tuple[int, Any, dict[str, str]]:
            status, body, headers = response
            client_id = request.form.get("client_id", "")
            code = request.form.get("code", "")
            if status != 200 or client_id not in state.agent_clients or not code:
                return response
            data = json.loads(body) if isinstance(body, str) else dict(body)
            now = int(time.time())
            claims = {
                "iss": app.base,
                "aud": [client_id],
                "sub": "user-1",
                "iat": now,
                "exp": now + 3600,
                "email": "user@example.test",
            }
            nonce = state.nonces.pop(code, None)
            if nonce:
                claims["nonce"] = nonce
            claims.update(getattr(app, "id_token_claims", {}))
            data["id_token"] = _unsigned_jwt(claims)
            return status, data, headers

        def _bearer(self, scheme: str = "Bearer") -> Token | None:
            value = self.headers.get("Authorization", "")
            if not value.startswith(scheme + " "):
                return None
            token = state.tokens.get(value[len(scheme) + 1 :])
            return None if token is None or token.is_expired() else token

        def _copilot(self) -> None:
            if self._bearer("token") is None:
                self._send(401, {"message": "Bad credentials"})
                return
            now = int(time.time())
            api = f"{CANARY_TOKEN}-copilot-{next(state.serial)}"
            state.tokens[api] = Token(api, None, "", time.time(), 1800, 0)
            body = {
                "token": api,
                "expires_at": now + 1800,
                "refresh_in": 1500,
                "endpoints": {"api": getattr(app, "copilot_api", app.base + "/v1")},
            }
            self._send(200, body)

        def _chat(self) -> None:
            state.chat_auth.append(self.headers.get("Authorization", "")[:7])
            if state.reject_chat or self._bearer() is None:
                self._send(401, {"error": {"message": "invalid token", "type": "auth"}})
                return
            if json.loads(self.raw_body or "{}").get("stream"):
                chunk = {
                    "id": "chatcmpl-1",
                    "object": "chat.completion.chunk",
                    "created": 1,
                    "model": "test-model",
                    "choices": [
                        {
                            "index": 0,
                            "delta": {"content": "hello from oauth"},
                            "finish_reason": "stop",
                        }
                    ],
                }
                sse = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
                self._send(200, sse, {"Content-Type": "text/event-stream"})
                return
            body = {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 1,
                "model": "test-model",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "hello from oauth"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6},
            }
            self._send(200, body)

    return Handler
