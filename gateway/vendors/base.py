"""What a vendor is to the rest of the gateway: one adapter object (`VendorAdapter`), found
through the registry (gateway/vendors/registry.py). Every other module loops over the
registry's adapters; none knows a vendor by name.

An adapter says who the vendor is and how its IDs look, which settings and request headers
carry its credentials, what its translation tables accept, and how to build a client bound
to one request's credentials. `Adapter` holds what every adapter shares, so a vendor's
own module sets only what is its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from gateway.core.budget import CallBudget
from gateway.core.domain import Capabilities, Vendor, VendorClient
from gateway.core.errors import ErrorCode, GatewayError
from gateway.core.ids import IdShapes
from gateway.vendors.breaker import Breakers
from gateway.vendors.http import CallObserver, ErrorReader, Upstream
from gateway.vendors.inflight import SharedCalls
from gateway.vendors.pacing import Pacer
from gateway.vendors.resilience import Resilience
from gateway.vendors.retry import RetryStats


@dataclass(frozen=True)
class Param:
    """A credential beyond the token (Kitchen's workspace): its setting, its request
    header, and the shape a value must have (it becomes part of a URL)."""

    name: str
    setting: str
    header: str
    pattern: re.Pattern[str]

    def problem(self, where: str) -> str:
        return f"{where} must match {self.pattern.pattern}"


@dataclass(frozen=True)
class VendorConfig:
    """A vendor's configuration: its base URL (None: the adapter's default), the
    operator's token, and the adapter's other credentials by `Param.name`."""

    base_url: str | None = None
    token: str | None = field(default=None, repr=False)  # a secret: never in a log line
    params: Mapping[str, str] = field(default_factory=dict)
    # Requests a second the gateway sends per credential (`<PREFIX>_MAX_RATE`); 0: no limit.
    max_rate: float = 0.0


@dataclass(frozen=True)
class Credentials:
    """What one request uses at one vendor: the caller's own headers, else the operator's
    configuration. `params` is unchecked here: a bad one fails that vendor's calls only."""

    token: str | None = field(repr=False)  # a secret: never in a log line
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ClientOptions:
    """What the app lends every vendor client: deadlines, retries, the breakers, the
    counters, the calls in flight and the pacing, and the request's call budget. Without
    breakers, calls are still retried and bounded by the deadline, but never failed fast;
    without `shared`, every read is sent; without `pacer`, nothing waits for a rate."""

    deadline: float = 30.0
    resilience: Resilience = field(default_factory=Resilience)
    max_bytes: int = 4_000_000
    breakers: Breakers | None = None
    stats: RetryStats | None = None
    observer: CallObserver | None = None
    budget: CallBudget | None = None
    shared: SharedCalls | None = None
    pacer: Pacer | None = None


class VendorAdapter(Protocol):
    @property
    def vendor(self) -> Vendor: ...

    @property
    def ids(self) -> IdShapes: ...

    @property
    def setting_prefix(self) -> str:
        """KANTATA: the settings KANTATA_BASE_URL and KANTATA_TOKEN."""
        ...

    @property
    def default_base_url(self) -> str: ...

    @property
    def token_header(self) -> str:
        """As written in docs and messages: X-Kantata-Token."""
        ...

    @property
    def params(self) -> tuple[Param, ...]: ...

    @property
    def capabilities(self) -> Capabilities: ...

    def credentials(self, config: VendorConfig, headers: Mapping[str, str]) -> Credentials:
        """Per-request headers override the configuration for that request only."""
        ...

    def base_url(self, config: VendorConfig, params: Mapping[str, str]) -> str | None:
        """Where the vendor answers with these params; None when one it needs is missing."""
        ...

    def client(
        self,
        http: httpx.AsyncClient,
        config: VendorConfig,
        credentials: Credentials,
        options: ClientOptions,
    ) -> VendorClient:
        """A client bound to `credentials`; raises GatewayError when they cannot be used."""
        ...

    def credential_headers(self) -> tuple[str, ...]:
        """Every request header that carries one of this vendor's credentials."""
        ...


# A bearer token is visible ASCII; anything else could not be sent in a header anyway.
_TOKEN = re.compile(r"[\x21-\x7e]{1,4096}")


@dataclass(frozen=True)
class Adapter:
    """An adapter from its parts: a vendor module fills these in, and `make_client` wraps
    the shared `Upstream` in the vendor's own client."""

    vendor: Vendor
    ids: IdShapes
    setting_prefix: str
    default_base_url: str
    token_header: str
    token_name: str  # "Kantata token", in messages
    capabilities: Capabilities
    make_client: Callable[[Upstream], VendorClient]
    read_errors: ErrorReader
    map_field: Callable[[str], tuple[str, ...] | None]
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    params: tuple[Param, ...] = ()
    # Whether a param named in a request's header may be used with the operator's token
    # (Kitchen: never, or a caller could point the configured key at any workspace).
    params_need_own_token: bool = True

    def credential_headers(self) -> tuple[str, ...]:
        return (self.token_header, *(param.header for param in self.params))

    def credentials(self, config: VendorConfig, headers: Mapping[str, str]) -> Credentials:
        token = headers.get(self.token_header.lower())
        named = {p.name: v for p in self.params if (v := headers.get(p.header.lower()))}
        if named and self.params_need_own_token:
            return Credentials(token, named)
        return Credentials(token or config.token, {**config.params, **named})

    def base_url(self, config: VendorConfig, params: Mapping[str, str]) -> str | None:
        url = config.base_url or self.default_base_url
        for param in self.params:
            placeholder = "{" + param.name + "}"
            if placeholder in url:
                value = params.get(param.name)
                if not value:
                    return None
                url = url.replace(placeholder, value)
        return url

    def client(
        self,
        http: httpx.AsyncClient,
        config: VendorConfig,
        credentials: Credentials,
        options: ClientOptions,
    ) -> VendorClient:
        token = self._checked_token(credentials.token)
        for param in self.params:
            value = credentials.params.get(param.name)
            if not value:
                raise _missing(f"{self.vendor.label} {param.name}", param.header)
            if not param.pattern.fullmatch(value):
                raise GatewayError.one(
                    ErrorCode.INVALID_INPUT, param.problem(f"the {self.vendor.label} {param.name}")
                )
        base_url = self.base_url(config, credentials.params)
        assert base_url is not None  # every param it needs was checked above
        breakers = options.breakers
        # One per host: each Kitchen workspace has its own, and so may fail alone. The URL
        # from the configuration alone tells the metrics a caller's host from the operator's.
        breaker = (
            breakers.for_host(self.vendor.key, base_url, self.base_url(config, config.params))
            if breakers
            else None
        )
        return self.make_client(
            Upstream(
                http,
                vendor_label=self.vendor.label,
                base_url=base_url,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Accept": "application/json",
                    **self.extra_headers,
                },
                read_errors=self.read_errors,
                map_field=self.map_field,
                deadline=options.deadline,
                resilience=options.resilience,
                breaker=breaker,
                stats=options.stats,
                vendor_key=self.vendor.key,
                observer=options.observer,
                budget=options.budget,
                max_bytes=options.max_bytes,
                shared=options.shared,
                pacer=options.pacer,
            )
        )

    def _checked_token(self, token: str | None) -> str:
        if not token:
            raise _missing(self.token_name, self.token_header)
        if not _TOKEN.fullmatch(token):
            raise GatewayError.one(
                ErrorCode.UNAUTHENTICATED,
                f"the {self.token_name} is not a token (check {self.token_header})",
            )
        return token


def _missing(what: str, header: str) -> GatewayError:
    return GatewayError.one(
        ErrorCode.UNAUTHENTICATED,
        f"no {what} is configured for this gateway; send the {header} header",
    )
