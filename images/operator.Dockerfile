# syntax=docker/dockerfile:1
# The Framefarm operator: one static (musl) binary on distroless, running as non-root 65532.
# Build from the repository root (see docs/images.md):
#   docker buildx build -f images/operator.Dockerfile -t ghcr.io/framefarm/operator:0.1.0 .

FROM rust:1.95.0-bookworm AS build
# musl-gcc compiles the C parts (aws-lc, the TLS crypto) for the static musl target.
RUN apt-get update \
    && apt-get install -y --no-install-recommends musl-tools \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The target follows the build platform's machine, so `--platform linux/arm64` builds an
# aarch64 binary; the cache mounts keep dependencies between builds.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    target="$(uname -m)-unknown-linux-musl" \
    && rustup target add "$target" \
    && cargo build --release --locked --target "$target" \
        --package framefarm-operator --bin framefarm-operator \
    && cp "target/$target/release/framefarm-operator" /framefarm-operator

# The static image carries CA certificates (for S3 over HTTPS) and nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /framefarm-operator /usr/local/bin/framefarm-operator
USER 65532:65532
# /metrics, /healthz and /readyz (--http-addr).
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/framefarm-operator"]
