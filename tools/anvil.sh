#!/bin/sh
# anvil as every part of tilefarm starts it (`make setup` installs this as .tools/bin/anvil).
#
# anvil keeps each block's state; past its in-memory window it writes them to
# ~/.foundry/anvil/tmp and leaves them there when it is stopped: the test suites once left 75 GB
# and filled the disk. Nothing in tilefarm reads state that old (reorganisation drills roll back
# a few blocks), so no state is written to disk.
exec "$(dirname "$(readlink -f "$0")")/anvil-native" --max-persisted-states 0 "$@"
