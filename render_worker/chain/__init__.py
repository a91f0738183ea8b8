"""The worker's side of the chain: it follows the market's confirmed events into the database
(`follow`, `projection`), undoes what a reorganisation removed (`reorg`, `check`), knows when a
window on the chain's clock next ends (`wakeups`), and sends its transactions durably, each once
for a typed purpose (`sender`, `purposes`, `calls`)."""
