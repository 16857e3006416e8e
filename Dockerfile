# The recorder as a container: one static binary on a minimal base, running
# as a non-root user with its data in /data. It decodes Opus with Debian's
# libopus linked in statically (deploy/build-release: -tags libopus); SQLite
# stays pure Go.
#   docker build -t recorder .
#   docker run -p 8080:8080 -p 50000:50000/udp -p 50000:50000/tcp \
#     -e RECORDER_TOKEN=... -e RECORDER_PUBLIC_IP=<host's public IP> -v recorder-data:/data recorder
FROM golang:1.26-bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libopus-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
COPY internal/fork internal/fork
RUN go mod download
COPY . .
RUN deploy/build-release /out/recorder \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/recorder /recorder
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME /data
# Web page and API; one UDP port for all media (ICE UDP mux) and the same
# port over TCP for ICE-TCP where UDP is blocked.
EXPOSE 8080/tcp 50000/udp 50000/tcp
ENV RECORDER_ADDR=:8080 \
    RECORDER_DATA=/data \
    RECORDER_ICE_LOOPBACK=false \
    RECORDER_UDP_PORT=50000 \
    RECORDER_TCP_PORT=50000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/recorder", "-healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/recorder"]
