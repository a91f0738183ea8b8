"""The render worker that node operators run: bids, renders tiles in a Blender child, publishes,
commits and verifies."""
