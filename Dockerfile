# syntax=docker/dockerfile:1
#
# e-CPTS image: the Svelte UI built with Node, embedded into one static Go
# binary, run as non-root on distroless. Build from the repository root:
#   docker build -t ecpts:latest .
# The image holds no shell and no curl: health is checked from outside
# (GET /healthz, GET /readyz), e.g. by the reverse proxy in
# docker-compose.yml.

ARG NODE_VERSION=20
ARG GO_VERSION=1.26

# --- 1. front end: frontend/dist/app ----------------------------------------
FROM node:${NODE_VERSION}-slim AS ui
WORKDIR /src/frontend
# The lock file alone first, so that a source change does not reinstall.
COPY frontend/package.json frontend/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build && test -f dist/app/index.html

# --- 2. Go binary ------------------------------------------------------------
FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
# .dockerignore keeps any local frontend/dist/app out: the image embeds the
# UI built in stage 1, never a developer's stale one.
COPY --from=ui /src/frontend/dist/app ./frontend/dist/app
# Every dependency is pure Go (FerretDB's SQLite is modernc.org/sqlite), so
# the binary is static and runs on distroless/static.
ENV CGO_ENABLED=0
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags='-s -w' -o /out/ecpts ./cmd/ecpts \
 && mkdir -p /out/data

# --- 3. runtime --------------------------------------------------------------
# distroless/static: CA certificates (SMTP, OpenID Connect) and tzdata, no
# shell; the nonroot variant runs as uid/gid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ecpts /usr/local/bin/ecpts
# An empty named volume mounted on /data takes this owner, so the
# non-root process can write to it.
COPY --from=build --chown=65532:65532 /out/data /data
ENV ECPTS_ADDR=0.0.0.0:8080 \
    ECPTS_DATA_DIR=/data \
    ECPTS_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/ecpts"]
