#!/bin/sh
# Installed as $SOLCX_BINARY_PATH/solc-v0.8.37 by `make setup`: py-solc-x and Brownie accept it as
# the native compiler. `--version` answers without starting node; everything else goes to solcjs.
case "$1" in
  --version)
    echo "solc, the solidity compiler commandline interface"
    echo "Version: 0.8.37+commit.f401782d.Linux.g++"
    exit 0 ;;
esac
for a in "$@"; do
  [ "$a" = "--standard-json" ] && exec node "@TOOLS_DIR@/solc-standard-json.js" "$@"
done
echo "solc wrapper: only --version and --standard-json are supported (got: $*)" >&2
exit 2
