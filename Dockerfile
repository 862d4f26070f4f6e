FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 gateway
WORKDIR /app
# The locked dependencies first (every file checked against its hash), in their own layer;
# then the gateway itself, which may add none of its own.
COPY requirements/runtime.txt ./requirements/
RUN pip install --require-hashes -r requirements/runtime.txt
COPY pyproject.toml README.md LICENSE ./
COPY gateway ./gateway
RUN pip install --no-deps . && rm -rf /app/build

USER gateway
EXPOSE 8000
# `serve` applies the connection limits (GATEWAY_LIMIT_CONCURRENCY, GATEWAY_HEADER_TIMEOUT,
# GATEWAY_KEEP_ALIVE_TIMEOUT; proxies trusted only from GATEWAY_TRUSTED_PROXIES) and raises
# the open-files soft limit to the hard one (`docker run --ulimit nofile=` sets that).
# Listening on 0.0.0.0 is beyond loopback, so it is safe by default (README, "Safe by
# default"): with no vendor token the sandbox serves demo data through GraphQL, and its
# emulators and control surface (fault injection, reset) answer this container only; with
# KANTATA_TOKEN or KITCHEN_TOKEN it will not start without GATEWAY_API_KEYS (or
# GATEWAY_ALLOW_ANONYMOUS=true, when a proxy in front authenticates every caller).
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["invoice-gateway", "serve", "--host", "0.0.0.0", "--port", "8000"]
