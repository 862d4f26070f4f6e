"""Settings, read from the environment once and passed in; nothing reads os.environ later."""

from __future__ import annotations

import difflib
import json
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from gateway.vendors.base import VendorAdapter, VendorConfig
from gateway.vendors.registry import Registry, default_registry
from gateway.vendors.resilience import Resilience

N = TypeVar("N", int, float)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
# Fields whose values are secrets: never in a repr, a log line or an error.
# (Vendor tokens hide themselves: VendorConfig's repr.)
_SECRET_FIELDS = {"api_keys", "redis_url"}
# Settings no longer read, each with what to do: left set, one is refused with this rather
# than with the nearest setting's name, which would send its reader the wrong way.
_RETIRED = {
    "GATEWAY_GRAPHIQL_ASSETS": "GraphiQL's files ship inside the package now; unset it",
}


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Limits:
    """What one caller may ask of the gateway in one request (docs/errors-and-limits.md,
    "Limits")."""

    max_body_bytes: int = 1_000_000
    max_depth: int = 15
    max_aliases: int = 30
    max_tokens: int = 3_000
    max_batch: int = 10
    # Per operation, every fragment spread counted where it is used (once per use).
    max_fields: int = 1_000
    max_fragments: int = 50
    # Estimated objects an operation may resolve: list arguments multiply (`first`, the
    # length of `ids`), aliases add.
    max_cost: int = 20_000
    max_variables_bytes: int = 100_000
    # Entries of any list input (nodes ids, line items, discounts, taxes, billables).
    max_list_length: int = 500
    # Decimal inputs (prices, quantities, rates, percentages).
    decimal_max_digits: int = 30
    decimal_max_exponent: int = 30
    # Vendor calls one request may make, whatever it asks.
    max_vendor_calls: int = 50
    # Automatic persisted queries: one document's size, how long it is kept, and the most
    # bytes this process keeps of them (Redis: per key TTL, and the same byte budget).
    apq_max_bytes: int = 100_000
    apq_ttl_seconds: int = 86_400
    apq_cache_bytes: int = 50_000_000
    # Idempotency-Key answers larger than this are not stored (the answer says so).
    idempotency_max_answer_bytes: int = 1_000_000


@dataclass(frozen=True)
class Server:
    """How the HTTP server protects the process (uvicorn's knobs; docs/errors-and-limits.md,
    "Limits")."""

    limit_concurrency: int = 1_000  # connections and tasks at once; beyond, 503
    # Seconds an idle connection is kept: longer than common clients keep theirs (httpx
    # 5 s, Node 4 s, aiohttp 15 s), so the client gives a connection up first and never
    # sends a request on one the gateway is closing that instant.
    timeout_keep_alive: float = 20.0
    # Seconds a connection may take to send its request head before it is closed.
    header_timeout: float = 10.0
    # Addresses whose X-Forwarded-For / X-Forwarded-Proto are believed (uvicorn's
    # forwarded_allow_ips); none by default.
    trusted_proxies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Telemetry:
    """The standard OpenTelemetry variables the gateway acts on itself when GATEWAY_TRACING
    is on (gateway/ops/tracing.py). The SDK and the exporter read the others as usual:
    OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_*, OTEL_TRACES_SAMPLER,
    OTEL_BSP_*, OTEL_PROPAGATORS."""

    # OTEL_SDK_DISABLED: OpenTelemetry off, whatever GATEWAY_TRACING says (then a warning).
    sdk_disabled: bool = False
    # OTEL_TRACES_EXPORTER: "otlp", "console", "none", or several with commas. Checked at
    # start: an unknown one turns tracing off with a warning (as the SDK would).
    exporters: tuple[str, ...] = ("otlp",)
    # OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL.
    otlp_protocol: str = "http/protobuf"


@dataclass(frozen=True)
class Settings:
    # Each vendor's base URL, token and other credentials, by vendor key (`kantata`); a
    # vendor not named here has its adapter's defaults and no token.
    vendors: Mapping[str, VendorConfig] = field(default_factory=dict)
    # None: decided from the tokens (on exactly when none is configured).
    sandbox: bool | None = None
    upstream_timeout: float = 30.0
    # The pool under the vendor clients: "aiohttp" (the faster, docs/benchmarks.md) or
    # "httpcore".
    upstream_transport: str = "aiohttp"
    # The most bytes read from one vendor answer, after decompression; more is a typed
    # upstream error, read no further.
    upstream_max_bytes: int = 4_000_000
    # Identical vendor reads in flight at once share one call (gateway/vendors/inflight.py).
    upstream_dedup: bool = True
    # The gateway's own door: when keys are set, every GraphQL request needs one.
    api_keys: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    introspection: bool = True
    # Operations run from a plan compiled once per cached document (gateway/schema/compiled);
    # false runs every operation through graphql-core's generic executor.
    compiled_operations: bool = True
    resilience: Resilience = field(default_factory=Resilience)
    limits: Limits = field(default_factory=Limits)
    server: Server = field(default_factory=Server)
    # Real vendor tokens, no GATEWAY_API_KEYS and a non-loopback bind: anyone who reaches
    # the port spends the operator's tokens. `serve` refuses that unless this is true.
    allow_anonymous: bool = False
    # Shared state for several replicas (idempotency, persisted queries, rate limits);
    # None keeps everything in this process.
    redis_url: str | None = None
    # Requests per minute per API key (or client IP when keys are off); 0 turns it off.
    rate_limit_per_minute: int = 0
    persisted_queries_only: bool = False
    # Manifests of persisted documents (Apollo's persisted query list, graphql-codegen's
    # persisted-documents.json), loaded and checked against the schema at start
    # (gateway/http/persisted_documents.py).
    persisted_documents: tuple[str, ...] = ()
    log_format: str = "json"  # "json" (one object a line) or "text"
    # OpenTelemetry spans (needs the `otel` extra), set up by the OTEL_* variables.
    tracing: bool = False
    telemetry: Telemetry = field(default_factory=Telemetry)
    # Sandbox emulator switches at start, per vendor (`{"kitchen": {"ignore_per_page":
    # true}}`): the quirks a real vendor may show within its documentation. Each emulator
    # checks the names; the control endpoint changes them per test.
    sandbox_quirks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def sandbox_enabled(self) -> bool:
        if self.sandbox is not None:
            return self.sandbox
        return not self.has_vendor_token

    @property
    def has_vendor_token(self) -> bool:
        return any(config.token for config in self.vendors.values())

    def vendor(self, key: str) -> VendorConfig:
        return self.vendors.get(key) or VendorConfig()

    def __repr__(self) -> str:
        # Secrets never reach a log line, even through a debug print of the settings.
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            shown = "'***'" if f.name in _SECRET_FIELDS and value else repr(value)
            parts.append(f"{f.name}={shown}")
        return f"Settings({', '.join(parts)})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str], registry: Registry | None = None) -> Settings:
        """Settings from `environ`; SettingsError lists every problem at once, including a
        variable in the gateway's namespaces (GATEWAY_*, each vendor's prefix) that is no
        setting, with the nearest one (a typo must not leave, say, the API keys unset)."""
        registry = registry or default_registry()
        read = _Reader(environ)
        settings = cls(
            vendors={adapter.vendor.key: read.vendor(adapter) for adapter in registry},
            sandbox=read.flag("GATEWAY_SANDBOX", cls.sandbox),
            upstream_timeout=read.number(
                "GATEWAY_UPSTREAM_TIMEOUT", cls.upstream_timeout, 0.001, 600
            ),
            upstream_transport=read.choice(
                "GATEWAY_UPSTREAM_TRANSPORT", ("aiohttp", "httpcore"), cls.upstream_transport
            ),
            upstream_max_bytes=read.integer(
                "GATEWAY_UPSTREAM_MAX_BYTES", cls.upstream_max_bytes, 1_000, 1_000_000_000
            ),
            upstream_dedup=bool(read.flag("GATEWAY_UPSTREAM_DEDUP", cls.upstream_dedup)),
            sandbox_quirks=read.quirks("GATEWAY_SANDBOX_QUIRKS"),
            api_keys=read.items("GATEWAY_API_KEYS"),
            cors_origins=read.items("GATEWAY_CORS_ORIGINS"),
            introspection=bool(read.flag("GATEWAY_INTROSPECTION", cls.introspection)),
            compiled_operations=bool(
                read.flag("GATEWAY_COMPILED_OPERATIONS", cls.compiled_operations)
            ),
            resilience=Resilience(
                retry_attempts=read.integer(
                    "GATEWAY_RETRY_ATTEMPTS", Resilience.retry_attempts, 1, 10
                ),
                retry_backoff=read.number("GATEWAY_RETRY_BACKOFF", Resilience.retry_backoff, 0, 60),
                retry_backoff_max=read.number(
                    "GATEWAY_RETRY_BACKOFF_MAX", Resilience.retry_backoff_max, 0, 300
                ),
                retry_after_cap=read.number(
                    "GATEWAY_RETRY_AFTER_CAP", Resilience.retry_after_cap, 0, 300
                ),
                breaker_failures=read.integer(
                    "GATEWAY_BREAKER_FAILURES", Resilience.breaker_failures, 1, 1000
                ),
                breaker_cooldown=read.number(
                    "GATEWAY_BREAKER_COOLDOWN", Resilience.breaker_cooldown, 0.001, 3600
                ),
            ),
            redis_url=read.redis_url("GATEWAY_REDIS_URL"),
            rate_limit_per_minute=read.integer(
                "GATEWAY_RATE_LIMIT", cls.rate_limit_per_minute, 0, 1_000_000
            ),
            persisted_queries_only=bool(
                read.flag("GATEWAY_PERSISTED_QUERIES_ONLY", cls.persisted_queries_only)
            ),
            persisted_documents=read.items("GATEWAY_PERSISTED_DOCUMENTS"),
            log_format=read.choice("GATEWAY_LOG_FORMAT", ("json", "text"), cls.log_format),
            tracing=bool(read.flag("GATEWAY_TRACING", cls.tracing)),
            telemetry=Telemetry(
                sdk_disabled=bool(read.flag("OTEL_SDK_DISABLED", Telemetry.sdk_disabled)),
                exporters=tuple(name.lower() for name in read.items("OTEL_TRACES_EXPORTER"))
                or Telemetry.exporters,
                otlp_protocol=(
                    read.text("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
                    or read.text("OTEL_EXPORTER_OTLP_PROTOCOL")
                    or Telemetry.otlp_protocol
                ).lower(),
            ),
            limits=Limits(
                max_body_bytes=read.integer(
                    "GATEWAY_MAX_BODY_BYTES", Limits.max_body_bytes, 1, 1e9
                ),
                max_depth=read.integer("GATEWAY_MAX_DEPTH", Limits.max_depth, 1, 1000),
                max_aliases=read.integer("GATEWAY_MAX_ALIASES", Limits.max_aliases, 1, 10_000),
                max_tokens=read.integer("GATEWAY_MAX_TOKENS", Limits.max_tokens, 1, 1_000_000),
                max_batch=read.integer("GATEWAY_MAX_BATCH", Limits.max_batch, 1, 1000),
                max_fields=read.integer("GATEWAY_MAX_FIELDS", Limits.max_fields, 1, 1_000_000),
                max_fragments=read.integer(
                    "GATEWAY_MAX_FRAGMENTS", Limits.max_fragments, 0, 10_000
                ),
                max_cost=read.integer("GATEWAY_MAX_COST", Limits.max_cost, 1, 1e9),
                max_variables_bytes=read.integer(
                    "GATEWAY_MAX_VARIABLES_BYTES", Limits.max_variables_bytes, 2, 1e9
                ),
                max_list_length=read.integer(
                    "GATEWAY_MAX_LIST_LENGTH", Limits.max_list_length, 1, 1_000_000
                ),
                decimal_max_digits=read.integer(
                    "GATEWAY_DECIMAL_MAX_DIGITS", Limits.decimal_max_digits, 1, 1000
                ),
                decimal_max_exponent=read.integer(
                    "GATEWAY_DECIMAL_MAX_EXPONENT", Limits.decimal_max_exponent, 0, 1000
                ),
                max_vendor_calls=read.integer(
                    "GATEWAY_MAX_VENDOR_CALLS", Limits.max_vendor_calls, 1, 100_000
                ),
                apq_max_bytes=read.integer("GATEWAY_APQ_MAX_BYTES", Limits.apq_max_bytes, 100, 1e9),
                apq_ttl_seconds=read.integer("GATEWAY_APQ_TTL", Limits.apq_ttl_seconds, 1, 1e9),
                apq_cache_bytes=read.integer(
                    "GATEWAY_APQ_CACHE_BYTES", Limits.apq_cache_bytes, 1e3, 1e12
                ),
                idempotency_max_answer_bytes=read.integer(
                    "GATEWAY_IDEMPOTENCY_MAX_ANSWER_BYTES",
                    Limits.idempotency_max_answer_bytes,
                    0,
                    1e9,
                ),
            ),
            server=Server(
                limit_concurrency=read.integer(
                    "GATEWAY_LIMIT_CONCURRENCY", Server.limit_concurrency, 1, 1_000_000
                ),
                timeout_keep_alive=read.number(
                    "GATEWAY_KEEP_ALIVE_TIMEOUT", Server.timeout_keep_alive, 0.1, 3600
                ),
                header_timeout=read.number(
                    "GATEWAY_HEADER_TIMEOUT", Server.header_timeout, 0.1, 3600
                ),
                trusted_proxies=read.items("GATEWAY_TRUSTED_PROXIES"),
            ),
            allow_anonymous=bool(read.flag("GATEWAY_ALLOW_ANONYMOUS", cls.allow_anonymous)),
        )
        prefixes = ("GATEWAY_", *(f"{a.setting_prefix}_" for a in registry))
        read.refuse_unknown(prefixes)
        if read.problems:
            count = len(read.problems)
            raise SettingsError(
                f"{count} problem{'s' if count > 1 else ''} in the settings:\n  "
                + "\n  ".join(read.problems)
            )
        return settings


class _Reader:
    """Reads settings by name, remembering every name asked and every problem found (the
    default stands in for a bad value, so reading goes on and all problems are told)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self.asked: set[str] = set()
        self.problems: list[str] = []

    def refuse_unknown(self, prefixes: tuple[str, ...]) -> None:
        known = sorted(self.asked)
        for name in sorted(self._environ):
            if name in _RETIRED:
                self.problems.append(f"{name} is no longer a setting: {_RETIRED[name]}")
            elif name.startswith(prefixes) and name not in self.asked:
                near = difflib.get_close_matches(name, known, n=1)
                hint = f" (did you mean {near[0]}?)" if near else ""
                self.problems.append(f"{name} is not a setting of the gateway{hint}")

    def vendor(self, adapter: VendorAdapter) -> VendorConfig:
        """`<PREFIX>_BASE_URL`, `<PREFIX>_TOKEN`, `<PREFIX>_MAX_RATE`, and each of the
        adapter's params."""
        params: dict[str, str] = {}
        for param in adapter.params:
            value = self.text(param.setting)
            if value is None:
                continue
            if not param.pattern.fullmatch(value):
                self.problems.append(param.problem(param.setting))
                continue
            params[param.name] = value
        prefix = adapter.setting_prefix
        return VendorConfig(
            base_url=self.url(f"{prefix}_BASE_URL"),
            token=self.text(f"{prefix}_TOKEN"),
            params=params,
            # Requests a second per credential; fractions for vendors that count per minute.
            max_rate=self.number(f"{prefix}_MAX_RATE", VendorConfig.max_rate, 0, 10_000),
        )

    def text(self, name: str) -> str | None:
        self.asked.add(name)
        value = self._environ.get(name, "").strip()
        return value or None

    def url(self, name: str) -> str | None:
        """An http(s) URL with a host (it may hold a `{param}` placeholder)."""
        value = self.text(name)
        if value is None:
            return None
        parts = urllib.parse.urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.problems.append(f"{name} must be an http:// or https:// URL with a host")
            return None
        return value

    def redis_url(self, name: str) -> str | None:
        value = self.text(name)
        if value is None:
            return None
        # Never echoed: a Redis URL may hold a password.
        parts = urllib.parse.urlsplit(value)
        if parts.scheme == "unix" or (parts.scheme in ("redis", "rediss") and parts.hostname):
            return value
        self.problems.append(f"{name} must be a redis://, rediss:// or unix:// URL")
        return None

    def items(self, name: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in (self.text(name) or "").split(",") if part.strip())

    def flag(self, name: str, default: bool | None) -> bool | None:
        value = self.text(name)
        if value is None:
            return default
        if value.lower() not in _TRUE | _FALSE:
            self.problems.append(f"{name} must be true or false")
            return default
        return value.lower() in _TRUE

    def quirks(self, name: str) -> dict[str, dict[str, Any]]:
        value = self.text(name)
        if value is None:
            return {}
        try:
            parsed = json.loads(value)
        except ValueError:
            self.problems.append(f"{name} must be a JSON object")
            return {}
        if not isinstance(parsed, dict) or not all(isinstance(v, dict) for v in parsed.values()):
            self.problems.append(f"{name} must map each vendor's key to its switches (an object)")
            return {}
        return parsed

    def choice(self, name: str, options: tuple[str, ...], default: str) -> str:
        value = (self.text(name) or default).lower()
        if value not in options:
            self.problems.append(f"{name} must be one of {', '.join(options)}")
            return default
        return value

    def number(self, name: str, default: float, low: float, high: float) -> float:
        return self._ranged(name, default, low, high, float, "a number")

    def integer(self, name: str, default: int, low: float, high: float) -> int:
        """A whole number: `1.7` is refused, never truncated."""
        return self._ranged(name, default, low, high, int, "a whole number")

    def _ranged(
        self, name: str, default: N, low: float, high: float, parse: Callable[[str], N], kind: str
    ) -> N:
        value = self.text(name)
        if value is None:
            return default
        try:
            number = parse(value)
        except ValueError:
            self.problems.append(f"{name} must be {kind}")
            return default
        if not low <= number <= high:
            self.problems.append(f"{name} must be between {low:g} and {high:g}")
            return default
        return number
