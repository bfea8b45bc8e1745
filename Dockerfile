# syntax=docker/dockerfile:1
# otelhouse's container image: `docker build -t otelhouse .` at the repository root.
# Stage 1 builds the web UI with Node; stage 2 installs the package, UI included, on a slim Python and
# runs it as an unprivileged user. The RUN steps live in deploy/build-steps.sh, which
# .ci/docker-build-steps.sh also runs outside Docker in CI. deploy/README.md is the deployment guide.

FROM node:20-bookworm-slim AS ui
WORKDIR /src
COPY deploy/build-steps.sh deploy/build-steps.sh
# The locked dependencies first: this layer is rebuilt only when the lock file changes.
COPY ui/package.json ui/package-lock.json ui/
RUN sh deploy/build-steps.sh ui-deps
COPY ui ui
RUN sh deploy/build-steps.sh ui

FROM python:3.11-slim AS runtime
RUN groupadd --system --gid 10001 otelhouse \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home --shell /usr/sbin/nologin otelhouse \
    && mkdir -m 700 /data && chown 10001:10001 /data
WORKDIR /build
COPY deploy/build-steps.sh deploy/build-steps.sh
COPY pyproject.toml README.md ./
COPY src src
COPY --from=ui /src/src/otelhouse/web/static src/otelhouse/web/static
RUN sh deploy/build-steps.sh install python && rm -rf /build

# Production defaults: listen on every interface of the container, keep data in the /data volume, and
# read the session secret from the Docker or Kubernetes secret `session_secret` (`otelhouse secret`
# makes one). Every setting can be overridden with its OTELHOUSE_* variable.
ENV OTELHOUSE_ENV=production
ENV OTELHOUSE_DATA_DIR=/data
ENV OTELHOUSE_API_HOST=0.0.0.0
ENV OTELHOUSE_OTLP_HTTP_HOST=0.0.0.0
ENV OTELHOUSE_OTLP_GRPC_HOST=0.0.0.0
ENV OTELHOUSE_SESSION_SECRET_FILE=/run/secrets/session_secret
ENV PYTHONUNBUFFERED=1

USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
# OTLP/gRPC, OTLP/HTTP, and the web UI with its API.
EXPOSE 4317 4318 8080
# /ready: ClickHouse answers. The slim image has no curl; Python's standard library does the request.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s%s/ready' % (os.environ.get('OTELHOUSE_API_PORT', '8080'), os.environ.get('OTELHOUSE_BASE_PATH', '').rstrip('/')), timeout=4)"]
ENTRYPOINT ["otelhouse"]
CMD ["serve"]
