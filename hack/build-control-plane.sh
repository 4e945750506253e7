#!/usr/bin/env bash
# Builds one binary of the local control plane from source into bin/:
#   hack/build-control-plane.sh kube-apiserver|kubectl|etcd <bin-dir>
#
# Download sites (setup-envtest, GitHub releases) are out of reach, so
# kube-apiserver and kubectl come from k8s.io/kubernetes and etcd from
# go.etcd.io/etcd/server/v3, each through a pinned tools module under
# hack/tools. The binary lands as <bin-dir>/<name>-<version> with a link
# <bin-dir>/<name>; an existing binary of the pinned version is never rebuilt.
set -euo pipefail

name=${1:?usage: $0 kube-apiserver|kubectl|etcd <bin-dir>}
bindir=${2:?usage: $0 kube-apiserver|kubectl|etcd <bin-dir>}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# How long a first build takes, measured on a 2-core machine busy with other
# builds (load average 8-15): kube-apiserver 800s, etcd 259s, then kubectl
# 68s, since it reuses most of kube-apiserver's packages. 18m48s in all.
case "$name" in
kube-apiserver) estimate="about 13 minutes on 2 cores" ;;
etcd) estimate="about 4 minutes on 2 cores" ;;
kubectl) estimate="about 1 minute when kube-apiserver was built first, as make control-plane does" ;;
esac

case "$name" in
kube-apiserver | kubectl)
	moddir="$root/hack/tools/kube"
	version=$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3}' "$moddir/go.mod")
	pkg="k8s.io/kubernetes/cmd/$name"
	minor=$(echo "$version" | cut -d. -f2)
	# component-base/version is what `--version` prints; k8s.io/kubernetes
	# stamps it in its own release build, so we do the same.
	ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$version"
	ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
	ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
	ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$version"
	;;
etcd)
	moddir="$root/hack/tools/etcd"
	version=$(cd "$moddir" && go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
	pkg="go.etcd.io/etcd/server/v3"
	ldflags="-s -w"
	;;
*)
	echo "unknown binary: $name (want kube-apiserver, kubectl or etcd)" >&2
	exit 2
	;;
esac

mkdir -p "$bindir"
bindir=$(cd "$bindir" && pwd)
target="$bindir/$name-$version"
if [ -x "$target" ]; then
	ln -sf "$(basename "$target")" "$bindir/$name"
	echo "$name $version already built: $target"
	exit 0
fi

echo "Building $name $version from source into $target"
echo "  (first time only: $estimate; later runs reuse it). Progress every 30 seconds:"
start=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Go prints nothing while compiling; a ticker shows the build is alive and
# `go build -v` lets us count the packages compiled so far.
(
	while sleep 30; do
		echo "  ... still building $name: $(($(date +%s) - start))s elapsed, $(grep -c . "$log" || true) packages compiled"
	done
) &
ticker=$!
trap 'kill $ticker 2>/dev/null || true; rm -f "$log"' EXIT

(cd "$moddir" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -v -trimpath -ldflags "$ldflags" -o "$target.tmp" "$pkg") 2>"$log" || {
	echo "building $name failed:" >&2
	tail -n 50 "$log" >&2
	rm -f "$target.tmp"
	exit 1
}
kill "$ticker" 2>/dev/null || true
mv "$target.tmp" "$target"
ln -sf "$(basename "$target")" "$bindir/$name"
took=$(($(date +%s) - start))
echo "Built $name $version in $((took / 60))m$(printf %02d $((took % 60)))s: $target"
