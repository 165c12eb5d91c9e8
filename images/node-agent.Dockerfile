# syntax=docker/dockerfile:1
# The Framefarm node-agent with a default Blender runtime, running as non-root 65532.
#
# Two uses (see docs/images.md): the operator's `--agent-image`, whose init container runs
# `/usr/local/bin/node-agent install` to copy the agent into any engine image, and the engine
# image of Blender shots that name none. The agent is static (musl), so the copy runs in any
# Linux image of the same architecture.
# Build from the repository root:
#   docker buildx build -f images/node-agent.Dockerfile -t ghcr.io/framefarm/node-agent:0.1.0 .

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
        --package framefarm-node-agent --bin node-agent \
    && cp "target/$target/release/node-agent" /node-agent

# Debian's Blender renders headless (`blender -b`); CA certificates for S3 over HTTPS.
FROM debian:12.12-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends blender ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 65532 framefarm \
    && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /tmp \
        --shell /usr/sbin/nologin framefarm
COPY --from=build /node-agent /usr/local/bin/node-agent
USER 65532:65532
# Render pods mount /tmp as an emptyDir and set HOME there; the root filesystem is read-only.
ENV HOME=/tmp
ENTRYPOINT ["/usr/local/bin/node-agent"]
