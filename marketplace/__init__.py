"""The marketplace server: FastAPI API, chain indexer, scene intake, assembly and audit."""
