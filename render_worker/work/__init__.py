"""The worker's own jobs: price and bid (`pricing`, `bidding`), render the tiles it won in a warm
Blender child and publish them (`assignment`, `children`, `manifests`), measure the machine
(`benchmark`), and render a local scene for an operator (`local_render`). Nothing here is
imported inside Blender except `benchmark_scene`, which the child imports by name."""
