"""The chain indexer: the JobMarket's events into the database, and the views derived from them."""

from marketplace.indexer.hub import EventHub
from marketplace.indexer.indexer import Indexer, IndexerRunner, StepReport, wait_until_indexed

__all__ = ["EventHub", "Indexer", "IndexerRunner", "StepReport", "wait_until_indexed"]
