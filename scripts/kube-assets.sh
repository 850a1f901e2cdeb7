#!/usr/bin/env bash
# Builds the real kube-apiserver (k8s.io/kubernetes v1.37.2) and etcd that
# lbdiag's real-server suite (cmd/lbdiag/apiserver_test.go) runs against,
# from the Go module proxy, into a cache outside the repository, and prints
# that directory. Binaries already there, built from the same tools/
# modules, are reused.
#
#   scripts/kube-assets.sh            # build if needed, print the directory
#   LBDIAG_KUBE_ASSETS=DIR scripts/kube-assets.sh
#
# Cold: about 7 minutes on 2 cores (kube-apiserver is most of it) and about
# 3 GB of Go build cache; warm: instant. The tests find the directory through
# $LBDIAG_KUBE_ASSETS, else the default below.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${LBDIAG_KUBE_ASSETS:-${XDG_CACHE_HOME:-$HOME/.cache}/lbdiag/kube-assets-v1.37.2}"
mkdir -p "$dir"

gateway_api=v1.6.3
stamp="$( (cat "$root"/tools/kube-apiserver/go.mod "$root"/tools/kube-apiserver/go.sum \
	"$root"/tools/etcd/go.mod "$root"/tools/etcd/go.sum "$root"/tools/etcd/main.go; echo "gateway-api $gateway_api") | sha256sum | cut -d' ' -f1)"
if ! [[ -x "$dir/kube-apiserver" && -x "$dir/etcd" && "$(cat "$dir/stamp" 2>/dev/null)" == "$stamp" ]]; then
	start=$SECONDS
	(cd "$root/tools/etcd" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$dir/etcd.tmp" .)
	mv "$dir/etcd.tmp" "$dir/etcd"
	(cd "$root/tools/kube-apiserver" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$dir/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver)
	mv "$dir/kube-apiserver.tmp" "$dir/kube-apiserver"
	echo "$stamp" >"$dir/stamp"
	echo "built kube-apiserver and etcd in $((SECONDS - start)) s" >&2
fi

# The Gateway API CRDs GKE installs (standard channel), from the module's own
# manifests, with the module's license: refreshed every time (the module
# cache makes it instant), so that a kind added here reaches existing caches.
gw="$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/gateway-api@$gateway_api" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
rm -rf "$dir/crds/gateway-api.tmp" && mkdir -p "$dir/crds/gateway-api.tmp"
for kind in gatewayclasses gateways httproutes grpcroutes referencegrants; do
	cp "$gw/config/crd/standard/gateway.networking.k8s.io_$kind.yaml" "$dir/crds/gateway-api.tmp/"
done
cp "$gw/LICENSE" "$dir/crds/gateway-api.tmp/LICENSE"
rm -rf "$dir/crds/gateway-api" && mv "$dir/crds/gateway-api.tmp" "$dir/crds/gateway-api"
echo "$dir"
