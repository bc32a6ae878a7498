"""A fake SMS provider on 127.0.0.1 for tests: never the internet. It answers two APIs.

- The generic gateway (``gateway_url``): JSON POST, checked auth header, our field names, and idempotency by
  reference: a second POST with a reference it has seen answers the same id and is not a new delivery.
- GOV.UK Notify's v2 endpoints that ``notifications-python-client`` calls to send and to look notifications up,
  with the client's JWT checked against ``notify_api_key``. Like the real Notify it does *not* refuse a second
  notification with the same reference; the adapter looks the reference up first.

Tests can make the next requests fail (``fail_next``) or hang until the client gives up (``hang_next``).
``deliveries`` is what reached a phone or inbox, once each; ``requests`` is everything that arrived."""

import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.errors import TokenError

from ostrom.notify.channels.webhooks import DEFAULT_GATEWAY_FIELDS

GATEWAY_PATH = "/sms/send"
GATEWAY_AUTH_HEADER = "Authorization: Bearer fake-gateway-key"
NOTIFY_SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
NOTIFY_SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
NOTIFY_API_KEY = f"ostrom_test-{NOTIFY_SERVICE_ID}-{NOTIFY_SECRET}"
NOTIFY_SMS_TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
NOTIFY_EMAIL_TEMPLATE_ID = "8a1fd4c9-3e5e-4b5c-9d0b-7f3c1f0c2b11"
# A hung request is released by reset()/stop() or after this long, so no test can wait forever on it.
MAX_HANG_SECONDS = 10
MAX_BODY_BYTES = 65_536


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: Mapping[str, str]
    body: Any  # decoded JSON, or the raw text when it was not JSON


@dataclass(frozen=True)
class Delivery:
    provider_id: str
    reference: str
    to: str
    body: str
    via: str  # "gateway", "notify_sms" or "notify_email"
    subject: str = ""


@dataclass
class _Trouble:
    status: int = 0  # 0: hang instead of answering
    count: int = 0
    path: str = ""  # only requests to this path, or any when empty
    after_delivering: bool = False  # hang only once the message is delivered: the answer is what gets lost


@dataclass
class _State:
    requests: list[RecordedRequest] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    trouble: list[_Trouble] = field(default_factory=list)


class FakeSmsProvider:
    def __init__(
        self,
        auth_header: str = GATEWAY_AUTH_HEADER,
        fields: Mapping[str, str] = DEFAULT_GATEWAY_FIELDS,
        id_field: str = "id",
    ) -> None:
        self.auth_header = auth_header
        self.fields = dict(fields)
        self.id_field = id_field
        self.notify_api_key = NOTIFY_API_KEY
        self.sms_template_id = NOTIFY_SMS_TEMPLATE_ID
        self.email_template_id = NOTIFY_EMAIL_TEMPLATE_ID
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._state = _State()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle -------------------------------------------------------------------------------------------
    def start(self) -> "FakeSmsProvider":
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.provider = self  # type: ignore[attr-defined]
        self._server = server
        # A short poll keeps stop() (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-sms-provider", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=MAX_HANG_SECONDS)
        self._server = self._thread = None

    def __enter__(self) -> "FakeSmsProvider":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what tests read and steer ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "the fake provider is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def gateway_url(self) -> str:
        return self.url + GATEWAY_PATH

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._state.requests)

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._state.deliveries)

    def reset(self) -> None:
        """Forget every request and delivery, and release any request left hanging."""
        self._release.set()
        with self._lock:
            self._state = _State()
        self._release = threading.Event()

    def fail_next(self, count: int = 1, status: int = 500, path: str = "") -> None:
        """Answer the next ``count`` requests (to ``path``, if given) with ``status`` and deliver nothing."""
        with self._lock:
            self._state.trouble.append(_Trouble(status=status, count=count, path=path))

    def hang_next(self, count: int = 1, path: str = "", after_delivering: bool = False) -> None:
        """Hold the next ``count`` requests (to ``path``, if given) unanswered until the client gives up. With
        ``after_delivering`` the message is delivered first and only the answer is lost, as when a provider is slow."""
        with self._lock:
            self._state.trouble.append(_Trouble(status=0, count=count, path=path, after_delivering=after_delivering))

    def inbound_body(self, phone: str, text: str, provider_id: str | None = None) -> bytes:
        """The JSON the gateway would post to our inbound webhook for a text from ``phone``."""
        payload = {
            self.id_field: provider_id or f"in-{uuid.uuid4()}",
            self.fields["sender"]: phone,
            self.fields["to"]: "+447700900000",
            self.fields["body"]: text,
        }
        return json.dumps(payload).encode()

    def status_body(self, reference: str, status: str = "delivered", provider_id: str = "") -> bytes:
        """The JSON the gateway would post to our status webhook for a message we sent."""
        payload = {self.fields["reference"]: reference, self.fields["status"]: status}
        if provider_id:
            payload[self.id_field] = provider_id
        return json.dumps(payload).encode()

    # --- used by the handler ----------------------------------------------------------------------------------
    def _take_trouble(self, path: str) -> _Trouble | None:
        with self._lock:
            for trouble in self._state.trouble:
                if trouble.path in {"", path}:
                    trouble.count -= 1
                    if trouble.count <= 0:
                        self._state.trouble.remove(trouble)
                    return trouble
            return None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._state.requests.append(request)

    def _deliver_once(self, delivery: Delivery, dedupe: bool) -> Delivery:
        with self._lock:
            if dedupe:
                for earlier in self._state.deliveries:
                    if earlier.via == delivery.via and earlier.reference == delivery.reference:
                        return earlier
            self._state.deliveries.append(delivery)
            return delivery

    def _notifications(self, via: str, reference: str) -> list[Delivery]:
        with self._lock:
            return [d for d in self._state.deliveries if d.via == via and (not reference or d.reference == reference)]


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeSmsProvider/1"

    @property
    def provider(self) -> FakeSmsProvider:
        return self.server.provider  # type: ignore[attr-defined, no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet

    def do_POST(self) -> None:
        self._handle("POST")

    def do_GET(self) -> None:
        self._handle("GET")

    def _handle(self, method: str) -> None:
        length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY_BYTES)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        path = urlsplit(self.path).path
        self.provider._record(RecordedRequest(method, self.path, dict(self.headers.items()), body))
        trouble = self.provider._take_trouble(path)
        self.hold_answer = trouble is not None and trouble.after_delivering
        if trouble is not None and trouble.status == 0 and not self.hold_answer:
            self._hang()
            return
        if trouble is not None and not self.hold_answer:
            self._answer(trouble.status, {"error": "fake trouble", "status_code": trouble.status})
            return
        if method == "POST" and path == GATEWAY_PATH:
            self._gateway_send(body)
        elif method == "POST" and path in {"/v2/notifications/sms", "/v2/notifications/email"}:
            self._notify_send(path.rsplit("/", 1)[1], body)
        elif method == "GET" and path == "/v2/notifications":
            self._notify_list()
        else:
            self._answer(404, {"error": "not found"})

    # --- the generic gateway ----------------------------------------------------------------------------------
    def _gateway_send(self, body: Any) -> None:
        name, _, value = self.provider.auth_header.partition(":")
        if self.headers.get(name.strip()) != value.strip():
            self._answer(401, {"error": "unauthorised"})
            return
        fields = self.provider.fields
        if not isinstance(body, dict) or not body.get(fields["to"]) or fields["body"] not in body:
            self._answer(400, {"error": "to and text are required"})
            return
        to = str(body[fields["to"]])
        if not _looks_like_phone(to):
            self._answer(400, {"error": f"invalid number {to}"})
            return
        delivery = self.provider._deliver_once(
            Delivery(
                provider_id=f"gw-{uuid.uuid4()}",
                reference=str(body.get(fields["reference"], "")),
                to=to,
                body=str(body[fields["body"]]),
                via="gateway",
            ),
            dedupe=bool(body.get(fields["reference"])),
        )
        self._answer(200, {self.provider.id_field: delivery.provider_id, "status": "accepted"})

    # --- GOV.UK Notify ----------------------------------------------------------------------------------------
    def _notify_authorised(self) -> bool:
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip()
        try:
            if not token or get_token_issuer(token) != NOTIFY_SERVICE_ID:
                raise TokenError("Invalid token: service id is not recognised")
            decode_jwt_token(token, NOTIFY_SECRET)
        except TokenError as error:
            self._notify_error(403, "AuthError", error.message)
            return False
        return True

    def _notify_send(self, kind: str, body: Any) -> None:
        if not self._notify_authorised():
            return
        if not isinstance(body, dict):
            self._notify_error(400, "BadRequestError", "Request body is not JSON")
            return
        template_id = self.provider.sms_template_id if kind == "sms" else self.provider.email_template_id
        if body.get("template_id") != template_id:
            self._notify_error(400, "BadRequestError", "Template not found")
            return
        personalisation = body.get("personalisation") or {}
        needed = ["body"] if kind == "sms" else ["subject", "body"]
        missing = [name for name in needed if name not in personalisation]
        if missing:
            self._notify_error(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")
            return
        to = str(body.get("phone_number" if kind == "sms" else "email_address", ""))
        valid = _looks_like_phone(to) if kind == "sms" else "@" in to
        if not valid:
            field_name = "phone_number" if kind == "sms" else "email_address"
            self._notify_error(400, "ValidationError", f"{field_name} Not a valid {field_name.replace('_', ' ')}")
            return
        delivery = self.provider._deliver_once(
            Delivery(
                provider_id=str(uuid.uuid4()),
                reference=str(body.get("reference") or ""),
                to=to,
                body=str(personalisation["body"]),
                subject=str(personalisation.get("subject", "")),
                via=f"notify_{kind}",
            ),
            dedupe=False,  # Notify keeps references but does not refuse repeats
        )
        self._answer(201, self._notification(delivery, kind))

    def _notify_list(self) -> None:
        if not self._notify_authorised():
            return
        query = parse_qs(urlsplit(self.path).query)
        kind = (query.get("template_type") or ["sms"])[0]
        reference = (query.get("reference") or [""])[0]
        found = self.provider._notifications(f"notify_{kind}", reference)
        notifications = [
            {
                "id": d.provider_id,
                "reference": d.reference or None,
                "type": kind,
                "status": "sending",
                "body": d.body,
                "subject": d.subject or None,
                "phone_number": d.to if kind == "sms" else None,
                "email_address": d.to if kind == "email" else None,
            }
            for d in reversed(found)
        ]
        self._answer(200, {"notifications": notifications, "links": {"current": self.provider.url + self.path}})

    def _notification(self, delivery: Delivery, kind: str) -> dict[str, Any]:
        content: dict[str, Any] = {"body": delivery.body}
        if kind == "sms":
            content["from_number"] = "OSTROM"
        else:
            content.update(subject=delivery.subject, from_email="ostrom@notifications.example")
        template_id = self.provider.sms_template_id if kind == "sms" else self.provider.email_template_id
        return {
            "id": delivery.provider_id,
            "reference": delivery.reference or None,
            "content": content,
            "uri": f"{self.provider.url}/v2/notifications/{delivery.provider_id}",
            "template": {"id": template_id, "version": 1, "uri": f"{self.provider.url}/v2/template/{template_id}"},
            "scheduled_for": None,
        }

    def _notify_error(self, status: int, error: str, message: str) -> None:
        self._answer(status, {"status_code": status, "errors": [{"error": error, "message": message}]})

    def _hang(self) -> None:
        self.provider._release.wait(MAX_HANG_SECONDS)
        self.close_connection = True

    def _answer(self, status: int, payload: Any) -> None:
        if self.hold_answer:
            self._hang()
            return
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _looks_like_phone(to: str) -> bool:
    digits = to.removeprefix("+")
    return to.startswith("+") and digits.isdigit() and 7 <= len(digits) <= 15
