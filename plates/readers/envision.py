"""The `envision` export format (being written: not registered for sniffing yet)."""

FORMAT = "envision"
