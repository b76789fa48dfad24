"""What a channel backend's send() comes to: sent (with the provider's id), or an error that says
whether trying again can help. Below channels.py and sms.py, which both use them."""

from __future__ import annotations

from dataclasses import dataclass


class TransientError(Exception):
    """The gateway did not answer, or answered with a temporary failure: try again later."""


class PermanentError(Exception):
    """The gateway refused the message: trying again will not help."""


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str = ""
    delivered: bool = False  # the channel confirms delivery at once (in-app)
