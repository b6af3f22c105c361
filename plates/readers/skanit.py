"""The `skanit` export format (being written: not registered for sniffing yet)."""

FORMAT = "skanit"
