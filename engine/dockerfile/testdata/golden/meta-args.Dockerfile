ARG BASE=busybox
ARG TAG
FROM ${BASE}:${TAG} AS Build
ARG TAG
RUN --mount=type=cache,target=/root/.cache echo build
FROM --platform=linux/amd64 build AS final
COPY --from=build --chown=1000:1000 --chmod=0644 --link a.txt b.txt /dst/
