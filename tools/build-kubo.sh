#!/usr/bin/env bash
# Builds the real IPFS daemon, Kubo, from its Go module into "$1" (default .tools/bin/ipfs).
#
# `go install github.com/ipfs/kubo/cmd/ipfs@v0.43.1` refuses to build because Kubo's go.mod carries a
# `replace` of go-libp2p by a personal fork, and that fork's pseudo-version is not served by the Go
# module proxy. So we fetch the Kubo module itself from the proxy, drop that replace, and pin quic-go and
# webtransport-go to the versions upstream go-libp2p v0.49.0 was released against. Every version is
# fixed, so two machines build the same daemon. An `ipfs` already on PATH at the pinned version wins.
set -euo pipefail
KUBO_VERSION=v0.43.1
OUT=${1:-.tools/bin/ipfs}
mkdir -p "$(dirname "$OUT")"
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")

if existing=$(command -v ipfs 2>/dev/null) && [ "$existing" != "$OUT" ] \
   && "$existing" version 2>/dev/null | grep -qx "ipfs version ${KUBO_VERSION#v}"; then
  ln -sf "$existing" "$OUT"
  echo "kubo: using $existing"
  exit 0
fi

src_dir=$(go mod download -json "github.com/ipfs/kubo@${KUBO_VERSION}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$src_dir/." "$work/"
chmod -R u+w "$work"
cd "$work"
sed -i '/^replace github.com\/libp2p\/go-libp2p =>/d' go.mod
cat >> go.mod <<'PINS'
replace github.com/quic-go/quic-go => github.com/quic-go/quic-go v0.60.0
replace github.com/quic-go/webtransport-go => github.com/quic-go/webtransport-go v0.11.1
PINS
GOFLAGS="-mod=mod -buildvcs=false" go build -trimpath -o "$OUT" ./cmd/ipfs
"$OUT" version
