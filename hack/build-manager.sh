#!/usr/bin/env bash
# Builds the manager binary the one way every image uses: `make build`,
# `make image` and the Dockerfile all call this script, so they ship the same
# binary for the same source, version and GOOS/GOARCH.
#
#   hack/build-manager.sh OUTPUT [VERSION]
#
# Static (CGO_ENABLED=0, so it runs on an empty base image), without local
# paths (-trimpath) or VCS stamps (-buildvcs=false: a Docker build has no
# .git), stripped (-s -w), with VERSION stamped into
# internal/lightrun.Version (the User-Agent and `manager --version`).
# GOOS and GOARCH are taken from the environment as usual.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 OUTPUT [VERSION]" >&2
	exit 2
fi
output=$1
case $output in /*) ;; *) output="$PWD/$output" ;; esac
version=${2:-dev}

cd "$(dirname "$0")/.."
CGO_ENABLED=0 go build -trimpath -buildvcs=false \
	-ldflags "-s -w -X github.com/lightrun-platform/lightrun-identity-operator/internal/lightrun.Version=${version}" \
	-o "$output" ./cmd
