"""The worker's durable state: one SQLite file holds every decision, so a `kill -9` at any moment
and a restart resume where it stands. `stages` is the job's state machine (its stages and the
moves between them, with the one function every stage change goes through), `models` the tables,
and `store` the database with its queries."""
