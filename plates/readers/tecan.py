"""The `tecan` export format (being written: not registered for sniffing yet)."""

FORMAT = "tecan"
