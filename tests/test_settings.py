from __future__ import annotations

from collections.abc import Mapping

import pytest

from gateway.settings import Settings, SettingsError
from gateway.vendors.base import Credentials
from gateway.vendors.registry import default_registry

REGISTRY = default_registry()


def credentials(settings: Settings, vendor: str, headers: Mapping[str, str]) -> Credentials:
    return REGISTRY.adapter(vendor).credentials(settings.vendor(vendor), headers)


def test_defaults_start_on_the_sandbox() -> None:
    settings = Settings.from_env({})
    # The vendors' documented base URLs (README, "Configuration").
    kantata, kitchen = (REGISTRY.adapter(key) for key in ("kantata", "kitchen"))
    assert kantata.base_url(settings.vendor("kantata"), {}) == "https://api.mavenlink.com/api/v1"
    assert (
        kitchen.base_url(settings.vendor("kitchen"), {"workspace": "acme"})
        == "https://acme.kitchen.co/api"
    )
    assert settings.upstream_timeout == 30.0
    assert settings.sandbox_enabled


@pytest.mark.parametrize(
    ("environ", "sandbox"),
    [
        ({"KANTATA_TOKEN": "k"}, False),
        ({"KITCHEN_TOKEN": "k"}, False),
        ({"KANTATA_TOKEN": "k", "GATEWAY_SANDBOX": "true"}, True),
        ({"GATEWAY_SANDBOX": "false"}, False),
        ({"GATEWAY_SANDBOX": "TRUE"}, True),
        ({"KANTATA_TOKEN": "   "}, True),
    ],
)
def test_sandbox_is_on_exactly_when_no_token_is_configured(
    environ: dict[str, str], sandbox: bool
) -> None:
    assert Settings.from_env(environ).sandbox_enabled is sandbox


@pytest.mark.parametrize(
    "environ",
    [
        {"GATEWAY_SANDBOX": "maybe"},
        {"GATEWAY_UPSTREAM_TIMEOUT": "soon"},
        {"GATEWAY_UPSTREAM_TIMEOUT": "0"},
        {"KITCHEN_WORKSPACE": "Evil.example.com"},
        {"KITCHEN_WORKSPACE": "-leading-hyphen"},
    ],
)
def test_bad_settings_are_refused_at_start(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(environ)


def test_secrets_never_show_in_a_repr() -> None:
    settings = Settings.from_env({"KANTATA_TOKEN": "kan-secret-1", "KITCHEN_TOKEN": "kit-secret-2"})
    mine = credentials(settings, "kantata", {"x-kantata-token": "caller-secret-3"})
    for text in (repr(settings), str(settings), repr(mine)):
        for secret in ("kan-secret-1", "kit-secret-2", "caller-secret-3"):
            assert secret not in text


def test_request_headers_override_configured_credentials() -> None:
    settings = Settings.from_env(
        {"KANTATA_TOKEN": "a", "KITCHEN_TOKEN": "b", "KITCHEN_WORKSPACE": "demo"}
    )
    mine = {"x-kantata-token": "c", "x-kitchen-token": "d"}
    assert credentials(settings, "kantata", mine).token == "c"
    assert credentials(settings, "kitchen", mine) == Credentials("d", {"workspace": "demo"})
    theirs = {"x-kitchen-token": "e", "x-kitchen-workspace": "acme"}
    assert credentials(settings, "kitchen", theirs) == Credentials("e", {"workspace": "acme"})
    assert credentials(settings, "kantata", {}).token == "a"


def test_a_workspace_header_never_borrows_the_configured_key() -> None:
    settings = Settings.from_env({"KITCHEN_TOKEN": "operator-key", "KITCHEN_WORKSPACE": "demo"})
    chosen = credentials(settings, "kitchen", {"x-kitchen-workspace": "elsewhere"})
    assert chosen == Credentials(None, {"workspace": "elsewhere"})


def test_resilience_and_limits_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "GATEWAY_API_KEYS": " k1, k2 ,",
            "GATEWAY_CORS_ORIGINS": "https://app.example.com",
            "GATEWAY_INTROSPECTION": "false",
            "GATEWAY_RETRY_ATTEMPTS": "5",
            "GATEWAY_BREAKER_COOLDOWN": "2.5",
            "GATEWAY_MAX_DEPTH": "7",
        }
    )
    assert settings.api_keys == ("k1", "k2")
    assert settings.cors_origins == ("https://app.example.com",)
    assert settings.introspection is False
    assert (settings.resilience.retry_attempts, settings.resilience.breaker_cooldown) == (5, 2.5)
    assert settings.limits.max_depth == 7
    assert "k1" not in repr(settings) and "k2" not in repr(settings)


@pytest.mark.parametrize(
    "environ",
    [
        {"GATEWAY_RETRY_ATTEMPTS": "0"},
        {"GATEWAY_MAX_DEPTH": "deep"},
        {"GATEWAY_INTROSPECTION": "?"},
    ],
)
def test_bad_resilience_settings_are_refused(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(environ)


def test_shared_state_and_observability_settings() -> None:
    settings = Settings.from_env(
        {
            "GATEWAY_REDIS_URL": "redis://:s3cret@127.0.0.1:6379/0",
            "GATEWAY_RATE_LIMIT": "120",
            "GATEWAY_PERSISTED_QUERIES_ONLY": "true",
            "GATEWAY_LOG_FORMAT": "text",
        }
    )
    assert settings.rate_limit_per_minute == 120
    assert settings.persisted_queries_only is True
    assert settings.log_format == "text"
    assert settings.redis_url and "s3cret" not in repr(settings)
    with pytest.raises(SettingsError):
        Settings.from_env({"GATEWAY_LOG_FORMAT": "xml"})


@pytest.mark.parametrize(
    ("value", "chosen"), [(None, "aiohttp"), ("httpcore", "httpcore"), ("AIOHTTP", "aiohttp")]
)
def test_the_upstream_transport_is_a_choice(value: str | None, chosen: str) -> None:
    environ = {} if value is None else {"GATEWAY_UPSTREAM_TRANSPORT": value}
    assert Settings.from_env(environ).upstream_transport == chosen


def test_an_unknown_upstream_transport_is_refused() -> None:
    with pytest.raises(SettingsError):
        Settings.from_env({"GATEWAY_UPSTREAM_TRANSPORT": "curl"})


def test_every_problem_is_told_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {
                "GATEWAY_MAX_DEPTH": "deep",
                "GATEWAY_SANDBOX": "maybe",
                "KITCHEN_WORKSPACE": "Not.A.Slug",
                "GATEWAY_LOG_FORMAT": "xml",
            }
        )
    message = str(caught.value)
    assert message.startswith("4 problems in the settings")
    for name in ("GATEWAY_MAX_DEPTH", "GATEWAY_SANDBOX", "KITCHEN_WORKSPACE", "GATEWAY_LOG_FORMAT"):
        assert name in message


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("GATEWAY_API_KEY", "GATEWAY_API_KEYS"),
        ("KANTATA_TOKN", "KANTATA_TOKEN"),
        ("KITCHEN_WORKSPACES", "KITCHEN_WORKSPACE"),
        ("GATEWAY_RATELIMIT", "GATEWAY_RATE_LIMIT"),
    ],
)
def test_a_typo_in_a_setting_name_is_refused_with_the_nearest_name(typo: str, meant: str) -> None:
    # An ignored GATEWAY_API_KEY would leave the gateway open: refused, never skipped.
    with pytest.raises(SettingsError, match=f"{typo} is not a setting.*did you mean {meant}"):
        Settings.from_env({typo: "x"})


def test_a_retired_setting_is_refused_with_what_to_do() -> None:
    # The Docker image used to set it; GraphiQL's files now ship inside the package.
    with pytest.raises(SettingsError, match="GATEWAY_GRAPHIQL_ASSETS is no longer a setting") as e:
        Settings.from_env({"GATEWAY_GRAPHIQL_ASSETS": "/srv/graphiql"})
    assert "ship inside the package" in str(e.value) and "did you mean" not in str(e.value)


def test_variables_outside_the_gateway_s_names_are_left_alone() -> None:
    assert Settings.from_env({"OTEL_SDK_DISABLED": "true", "HOME": "/nowhere"}).sandbox_enabled


@pytest.mark.parametrize("value", ["1.7", "2e3", "ten"])
def test_a_whole_number_setting_is_never_truncated(value: str) -> None:
    with pytest.raises(SettingsError, match="GATEWAY_MAX_DEPTH must be a whole number"):
        Settings.from_env({"GATEWAY_MAX_DEPTH": value})


def test_a_whole_number_setting_is_read_exactly() -> None:
    assert Settings.from_env({"GATEWAY_MAX_DEPTH": "7"}).limits.max_depth == 7


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("KANTATA_BASE_URL", "api.mavenlink.com/api/v1"),
        ("KANTATA_BASE_URL", "ftp://example.test/api"),
        ("KITCHEN_BASE_URL", "https:///api"),
    ],
)
def test_a_vendor_url_must_be_http_with_a_host(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"{name} must be an http"):
        Settings.from_env({name: value})


@pytest.mark.parametrize("value", ["notredis", "http://cache:6379", "redis://"])
def test_a_bad_redis_url_is_refused_without_being_echoed(value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"GATEWAY_REDIS_URL": value})
    assert "GATEWAY_REDIS_URL must be a redis://" in str(caught.value)
    assert value not in str(caught.value).replace("redis://, rediss://", "")


def test_good_urls_are_kept() -> None:
    settings = Settings.from_env(
        {"KANTATA_BASE_URL": "http://127.0.0.1:9/api/v1", "GATEWAY_REDIS_URL": "redis://h:6379/0"}
    )
    assert settings.vendor("kantata").base_url == "http://127.0.0.1:9/api/v1"
    assert settings.redis_url == "redis://h:6379/0"


def test_vendor_rates_and_read_sharing_are_read() -> None:
    settings = Settings.from_env(
        {"KANTATA_MAX_RATE": "2.5", "KITCHEN_MAX_RATE": "0.5", "GATEWAY_UPSTREAM_DEDUP": "false"}
    )
    assert settings.vendor("kantata").max_rate == 2.5
    assert settings.vendor("kitchen").max_rate == 0.5
    assert settings.upstream_dedup is False
    defaults = Settings.from_env({})
    assert defaults.vendor("kantata").max_rate == 0 and defaults.upstream_dedup is True


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"KANTATA_MAX_RATE": "fast"}, "KANTATA_MAX_RATE must be a number"),
        ({"KANTATA_MAX_RATE": "-1"}, "KANTATA_MAX_RATE must be between 0 and 10000"),
        ({"KITCHEN_MAX_RATE": "nan"}, "KITCHEN_MAX_RATE must be between 0 and 10000"),
        ({"KITCHEN_MAX_RATE": "inf"}, "KITCHEN_MAX_RATE must be between 0 and 10000"),
        ({"KITCHEN_MAX_RATES": "5"}, "did you mean KITCHEN_MAX_RATE"),
        ({"GATEWAY_UPSTREAM_DEDUP": "maybe"}, "GATEWAY_UPSTREAM_DEDUP must be true or false"),
    ],
)
def test_bad_rates_and_sharing_switches_are_refused(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(environ)
