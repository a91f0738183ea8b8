#!/bin/sh
# Installs forge-std (Foundry's Solidity test library) at VERSION into DEST, for `make setup`.
# It comes through the Go module proxy (the module cache keeps it, so a second install is offline);
# the copy is writable because the module cache is not.
# Usage: tools/fetch-forge-std.sh v1.9.7 .tools/forge-std
set -eu
version=$1
dest=$2
json=$(cd "${TMPDIR:-/tmp}" && GOFLAGS=-mod=mod go mod download -json "github.com/foundry-rs/forge-std@$version")
dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ ! -f "$dir/src/Test.sol" ]; then
  echo "fetch-forge-std: no forge-std $version in the module cache (go said: $json)" >&2
  exit 1
fi
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
cp -R "$dir" "$dest"
chmod -R u+w "$dest"
