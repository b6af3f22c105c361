"""The `bmg` export format (being written: not registered for sniffing yet)."""

FORMAT = "bmg"
