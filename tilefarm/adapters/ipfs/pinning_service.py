"""A typed client for a remote pinning service that speaks the IPFS Pinning Service API (v1):
`POST /pins` asks the service to keep a CID (it fetches the blocks itself, from the `origins`
given, else from the network), `GET /pins` and `GET /pins/{requestid}` say how that goes
(queued, pinning, pinned, failed), `DELETE /pins/{requestid}` lets it go.

Every call carries the account's bearer token. An error answer of the service (its body is
`{"error": {"reason", "details"}}`) is raised as `PinningServiceError` with that reason; a
service that does not answer within `timeout` as `PinningServiceUnavailable`.
"""

from datetime import datetime
from typing import Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, Field, ValidationError

from tilefarm.adapters.ipfs.errors import IpfsError

M = TypeVar("M", bound=BaseModel)
PinState = Literal["queued", "pinning", "pinned", "failed"]
EVERY_STATE: tuple[PinState, ...] = ("queued", "pinning", "pinned", "failed")
MAX_CIDS_PER_QUERY = 10  # the spec's bound on `GET /pins?cid=...`


class Pin(BaseModel):
    """What to keep: a CID, a name, and the multiaddrs of nodes that already have it."""

    cid: str = Field(min_length=1)
    name: str | None = Field(None, max_length=255)
    origins: list[str] = Field(default_factory=list, max_length=20)
    meta: dict[str, str] | None = None


class PinStatus(BaseModel):
    """The service's record of one pin request."""

    requestid: str
    status: PinState
    created: datetime
    pin: Pin
    delegates: list[str] = Field(default_factory=list)
    info: dict[str, str] | None = None


class PinResults(BaseModel):
    """One page of `GET /pins`: how many match in all, and the first `limit` of them."""

    count: int = Field(ge=0)
    results: list[PinStatus]


class PinningServiceError(IpfsError):
    """The pinning service refused a request, or answered something that is not the API."""

    def __init__(self, endpoint: str, message: str, status_code: int | None = None) -> None:
        super().__init__(f"the pinning service at {endpoint}: {message}")
        self.endpoint = endpoint
        self.status_code = status_code


class PinningServiceUnavailable(PinningServiceError):
    """The pinning service did not answer: down, unreachable, or too slow. Retried later."""


class PinningService:
    """A pinning service account: `endpoint` is the API's base URL (the one `/pins` is under),
    `token` the account's access token."""

    def __init__(self, endpoint: str, token: str, *, timeout: float = 10.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._http = httpx.Client(
            base_url=self.endpoint,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "PinningService":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def pin(
        self,
        cid: str,
        name: str | None = None,
        origins: list[str] | None = None,
        meta: dict[str, str] | None = None,
    ) -> PinStatus:
        """Ask the service to keep `cid`; it answers at once (usually `queued`) and pins in the
        background: follow it with `status`."""
        body = Pin(cid=cid, name=name, origins=origins or [], meta=meta)
        answer = self._call("POST", "/pins", json=body.model_dump(exclude_none=True))
        return self._parse(PinStatus, answer)

    def status(self, requestid: str) -> PinStatus:
        """Where the pin request `requestid` stands now."""
        return self._parse(PinStatus, self._call("GET", f"/pins/{requestid}"))

    def find(self, cid: str, statuses: tuple[PinState, ...] = EVERY_STATE) -> list[PinStatus]:
        """This account's pin requests for `cid`, in any of `statuses` (by default all: the
        spec's default is `pinned` only)."""
        return self.find_many([cid], statuses)

    def find_many(
        self, cids: list[str], statuses: tuple[PinState, ...] = EVERY_STATE
    ) -> list[PinStatus]:
        """This account's pin requests for any of `cids` (asked ten at a time)."""
        found: list[PinStatus] = []
        for start in range(0, len(cids), MAX_CIDS_PER_QUERY):
            batch = cids[start : start + MAX_CIDS_PER_QUERY]
            params = {"cid": ",".join(batch), "status": ",".join(statuses), "limit": "1000"}
            found += self._parse(PinResults, self._call("GET", "/pins", params=params)).results
        return found

    def unpin(self, requestid: str) -> None:
        """Withdraw the pin request `requestid`: the service may then drop the blocks."""
        self._call("DELETE", f"/pins/{requestid}")

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise PinningServiceUnavailable(
                self.endpoint, f"no answer ({type(exc).__name__}: {exc}); it is retried later"
            ) from exc
        if response.status_code < 300:
            return response
        reason = _reason(response)
        if response.status_code in (401, 403):
            reason += "; check the access token (pinning_service_token)"
        raise PinningServiceError(
            self.endpoint, f"{method} {path} answered {response.status_code}: {reason}",
            response.status_code,
        )  # fmt: skip

    def _parse(self, model: type[M], response: httpx.Response) -> M:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise PinningServiceError(
                self.endpoint,
                f"{response.request.url.path} answered something that is not a "
                f"{model.__name__} of the Pinning Service API ({exc.error_count()} errors); "
                "is pinning_service_url the API's base URL?",
            ) from exc


def _reason(response: httpx.Response) -> str:
    """The reason and details of the API's error body, else the start of the body."""
    try:
        error = response.json()["error"]
        details = error.get("details")
        return str(error["reason"]) + (f" ({details})" if details else "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return response.text[:200] or response.reason_phrase


def node_addresses(api_url: str, timeout: float = 10.0) -> list[str]:
    """The multiaddrs (with peer id) a Kubo node announces (`ipfs id`): the `origins` to give a
    pinning service so that it fetches straight from that node."""
    try:
        answer = httpx.post(f"{api_url.rstrip('/')}/api/v0/id", timeout=timeout)
        answer.raise_for_status()
        return [str(a) for a in answer.json().get("Addresses") or []]
    except (httpx.HTTPError, ValueError) as exc:
        raise IpfsError(
            f"could not ask the IPFS node at {api_url} for its addresses: {exc}"
        ) from exc
