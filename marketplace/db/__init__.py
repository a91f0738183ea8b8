"""The marketplace's database, through SQLAlchemy: a SQLite file by default, PostgreSQL by URL."""
