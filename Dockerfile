# Production image: build the release binary, run it on a slim Debian as an unprivileged user.
# The region list and migrations are compiled into the binary; nothing else is needed at run time.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin stunting-api

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home stunting
COPY --from=build /src/target/release/stunting-api /usr/local/bin/stunting-api
USER stunting
ENV LISTEN_ADDR=0.0.0.0:8080 \
    LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
    CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
ENTRYPOINT ["stunting-api"]
CMD ["serve"]
