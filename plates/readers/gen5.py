"""The `gen5` export format (being written: not registered for sniffing yet)."""

FORMAT = "gen5"
