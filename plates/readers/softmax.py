"""The `softmax` export format (being written: not registered for sniffing yet)."""

FORMAT = "softmax"
