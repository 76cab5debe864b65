"""The remote source's own errors: the only exceptions the client lets out.

Each carries a one-line message for the user that names the HTTP status and the server's own
message where there is one. No message ever holds the token: the client builds them from the
status, the (sanitised, length-capped) server message and the host, and redacts the token from
anything the server sent back.
"""

from __future__ import annotations


class RemoteError(Exception):
    """Base class: something went wrong talking to the audit API."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class AuthError(RemoteError):
    """401/403: the server rejected the token (or wants one)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class RateLimitError(RemoteError):
    """429 on every attempt; ``retry_after`` is the server's last Retry-After in seconds."""

    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerError(RemoteError):
    """Any other error status (after the retries, for 502/503/504)."""

    def __init__(self, message: str, status: int, code: str = "", server_message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.server_message = server_message


class CursorError(ServerError):
    """The server rejected the paging cursor: restart from the first page."""


class PayloadError(RemoteError):
    """A 200 answer that is not a page of the contract (bad JSON, missing or wrong fields)."""

    def __init__(self, message: str, what: str) -> None:
        super().__init__(message)
        self.what = what


class NetworkError(RemoteError):
    """The server could not be reached, or the connection broke (after the retries)."""


class RemoteTimeoutError(NetworkError):
    """Connecting or reading took longer than the timeout (after the retries)."""


class SettingsError(RemoteError):
    """The remote source cannot be set up as asked (bad URL, unknown profile, unreadable token
    file or CA bundle): the command line's exit code 2."""
