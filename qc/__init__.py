"""Quality rules as pure functions on arrays and tables."""
