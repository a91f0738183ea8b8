"""The worker's Prometheus metrics (tiles rendered, render seconds, bids, earnings), served on
loopback when `metrics_port` is set."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server


class WorkerMetrics:
    """One registry per worker, so several workers can live in one test process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.tiles = Counter("tilefarm_worker_tiles_rendered", "Tiles rendered", registry=r)
        self.render_seconds = Histogram(
            "tilefarm_worker_tile_render_seconds", "Seconds per rendered tile", registry=r
        )
        self.bids = Counter("tilefarm_worker_bids", "Bids by outcome", ["outcome"], registry=r)
        self.earned = Counter("tilefarm_worker_earned_wei", "Wei credited for tiles", registry=r)
        self.withdrawn = Counter("tilefarm_worker_withdrawn_wei", "Wei withdrawn", registry=r)
        self.block = Gauge("tilefarm_worker_block", "Last block processed", registry=r)

    def tile_rendered(self, seconds: float) -> None:
        self.tiles.inc()
        self.render_seconds.observe(seconds)

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        """Expose /metrics on `host:port`."""
        start_http_server(port, addr=host, registry=self.registry)
