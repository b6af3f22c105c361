"""The run-history store (SQLite): schema, versions, masks, reviews, audit."""
