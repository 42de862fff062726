"""Message channels: the base class every channel plugin subclasses, built-in or third-party.

A channel is found through the ``lms.channels`` entry-point group (pyproject.toml), exactly as a
course type is: the built-in e-mail, SMS and WhatsApp channels register the way a separate
package would. The entry point loads the class; a delivery run makes one instance of it with the
app's configuration and closes it at the end (an SMTP connection lives that long).

**No message twice.** The run records each attempt (committed) before it calls :meth:`Channel.send`
and its outcome after. A worker killed in between — after the gateway accepted the message, before
the commit that says so — leaves the attempt under way; the next run sends the message again. So
every channel MUST hand the gateway the message's idempotency key
(:meth:`Channel.idempotency_key`: the same on every try of one message on one channel), in the way
its gateway drops a second request with a key it already accepted: an ``Idempotency-Key`` header
(:meth:`HttpChannel.post` sends it), a client reference field, an e-mail's ``Message-ID``. A
gateway that cannot drop duplicates makes the channel deliver at least once, not exactly once.
"""

import json
import urllib.error
import urllib.request
from abc import ABC, abstractmethod


class DeliveryFailed(Exception):
    """A channel could not deliver one message; ``retryable`` says whether another try on the
    same channel later may succeed (a timeout, a busy gateway) or not (no such number)."""

    def __init__(self, message, retryable=True):
        super().__init__(message)
        self.retryable = retryable


class Channel(ABC):
    """One way to reach a person. Subclasses set the attributes and implement :meth:`address`,
    :meth:`configured` and :meth:`send` (the registry refuses a class that leaves one out)."""

    #: the entry point's name, stored on each message that this channel delivered
    key = None
    #: names shown to people, by language ({"id": ..., "en": ...})
    labels = {}
    #: where this channel stands when a person's preferred one fails (lower first)
    order = 100
    #: the texts a channel carries: "email" (subject and body) or "text" (the short text)
    carries = "text"

    def __init__(self, config):
        #: the app's configuration (a plain mapping; no app context is needed to send)
        self.config = config

    @classmethod
    def label(cls, locale):
        """The channel's name in ``locale`` (English when that language is missing)."""
        return cls.labels.get(locale) or cls.labels.get("en") or cls.key

    @classmethod
    @abstractmethod
    def configured(cls, config):
        """Whether its settings are there; a channel without them is off."""

    @classmethod
    @abstractmethod
    def address(cls, user):
        """The address of ``user`` on this channel, or None when it cannot reach them."""

    @abstractmethod
    def send(self, message, address):
        """Deliver one :class:`~lms.outbox.models.OutboxMessage` to ``address``, handing the
        gateway :meth:`idempotency_key` so that it drops a copy it already accepted (the call
        is repeated with the same key after a worker died during it; see the module's notes).

        :raise DeliveryFailed: it was not delivered (``retryable`` says whether to try again)
        """

    def idempotency_key(self, message):
        """The key that makes a repeated send of ``message`` on this channel a duplicate the
        gateway drops: derived from the outbox row and the channel, the same on every try."""
        return message.delivery_key(self.key)

    def close(self):
        """Release what the run held (a connection); called once after the run. Optional: most
        channels hold nothing between messages."""
        return None


class HttpChannel(Channel):
    """A channel that POSTs to an HTTP gateway: a 2xx is delivered; 408, 429, a 5xx or a
    network error is worth another try; any other answer is final."""

    #: seconds to wait for the gateway
    timeout = 20

    def post(self, url, token, body, form=False, key=None):
        """POST ``body`` (JSON, or a form when ``form``) with a bearer token and, given ``key``,
        an ``Idempotency-Key`` header (a gateway that saw the key answers as before and sends
        nothing); the parsed JSON answer (or None)."""
        if form:
            from urllib.parse import urlencode

            data = urlencode(body).encode()
            content_type = "application/x-www-form-urlencoded"
        else:
            data = json.dumps(body).encode()
            content_type = "application/json"
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": content_type,
            "Accept": "application/json",
        }
        if key:
            headers["Idempotency-Key"] = key
        request = urllib.request.Request(url, data=data, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            raise DeliveryFailed(
                self.describe_error(exc.code, raw), retryable=self.retry_http(exc.code, raw)
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}", retryable=True) from exc
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return None

    def retry_http(self, status, raw):
        """Whether an HTTP error answer is worth another try."""
        return status in (408, 429) or status >= 500

    def describe_error(self, status, raw):
        """The error as recorded on the attempt: the status and the start of the answer."""
        text = raw.decode("utf-8", "replace").strip() if raw else ""
        return f"HTTP {status}" + (f": {text[:300]}" if text else "")
