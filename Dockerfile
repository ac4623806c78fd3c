# One image for every role: `switchyard ingress`, `switchyard worker NAME`, `switchyard migrate`.
FROM rust:1.85-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p switchyard

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/switchyard /usr/local/bin/switchyard
USER 65534:65534
ENTRYPOINT ["switchyard"]
CMD ["up"]
