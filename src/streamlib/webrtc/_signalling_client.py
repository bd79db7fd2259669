"""The HTTP side of WHIP (RFC 9725) and WHEP for a client: offer, answer, trickle, hang up.

Both protocols have the same shape: POST an SDP offer
(``application/sdp``), get 201 with the SDP answer and a ``Location`` naming
the session; PATCH that resource with ``application/trickle-ice-sdpfrag`` to
trickle candidates; DELETE it to hang up::

    client = SignallingClient("http://127.0.0.1:8889/whip", token="secret")
    answer = await client.offer(pc.localDescription.sdp)
    ...
    await client.hang_up()
    await client.close()
"""

from __future__ import annotations

import aiohttp
from yarl import URL

from ..core import NetworkError

__all__ = ["SignallingClient"]

SDP_TYPE = "application/sdp"
TRICKLE_TYPE = "application/trickle-ice-sdpfrag"


class SignallingClient:
    """One WHIP or WHEP session with a server (redirects followed, as RFC 9725 asks)."""

    def __init__(self, url: str, *, token: str | None = None, timeout_s: float = 10.0) -> None:
        self.url = url
        self.token = token
        self.session_url: str | None = None
        self.etag: str | None = None
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._http: aiohttp.ClientSession | None = None

    def _headers(self, content_type: str | None = None) -> dict[str, str]:
        headers = {}
        if content_type is not None:
            headers["Content-Type"] = content_type
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _client(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=self._timeout)
        return self._http

    async def offer(self, sdp: str) -> str:
        """POST ``sdp``; the server's SDP answer. ``NetworkError`` on anything but 201."""
        try:
            async with self._client().post(
                self.url, data=sdp.encode(), headers=self._headers(SDP_TYPE), allow_redirects=True
            ) as response:
                body = await response.text()
                if response.status != 201:
                    raise NetworkError(
                        f"{self.url} answered {response.status} {response.reason} to the offer: "
                        f"{body.strip()[:200] or '(no body)'}"
                        + (" (check the bearer token)" if response.status in (401, 403) else "")
                    )
                location = response.headers.get("Location")
                if location is None:
                    raise NetworkError(f"{self.url} answered 201 without a Location header")
                # A relative Location resolves against the URL that answered (after redirects).
                self.session_url = str(response.url.join(URL(location)))
                self.etag = response.headers.get("ETag")
                return body
        except aiohttp.ClientError as error:
            raise NetworkError(f"cannot reach {self.url}: {error}") from error
        except TimeoutError as error:
            raise NetworkError(f"{self.url} did not answer the offer in time") from error

    async def trickle(self, sdp_fragment: str) -> None:
        """PATCH the session with candidates (an SDP fragment, RFC 8840)."""
        if self.session_url is None:
            raise NetworkError("trickle before the offer was answered: call offer() first")
        headers = self._headers(TRICKLE_TYPE)
        if self.etag:
            headers["If-Match"] = self.etag
        try:
            async with self._client().patch(
                self.session_url, data=sdp_fragment.encode(), headers=headers
            ) as response:
                if response.status not in (200, 204):
                    raise NetworkError(
                        f"{self.session_url} answered {response.status} to a trickle PATCH"
                    )
        except aiohttp.ClientError as error:
            raise NetworkError(f"cannot reach {self.session_url}: {error}") from error

    async def hang_up(self) -> None:
        """DELETE the session (best effort: the server may already be gone)."""
        url, self.session_url = self.session_url, None
        if url is None:
            return
        try:
            async with self._client().delete(url, headers=self._headers()):
                pass
        except (aiohttp.ClientError, TimeoutError):
            pass  # the server drops the session on its own when ICE times out

    async def close(self) -> None:
        """Close the HTTP connection pool."""
        if self._http is not None:
            await self._http.close()
            self._http = None
