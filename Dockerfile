# authd: one static binary; the same image runs `serve` and `worker`.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/authd ./cmd/authd

FROM alpine:3.22
RUN adduser -D -H -u 10001 authd
COPY --from=build /out/authd /usr/local/bin/authd
USER authd
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/authd"]
CMD ["serve"]
