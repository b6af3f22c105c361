"""`elisa run --dask SCHEDULER` / `--workers N`: chunks of plates processed on a dask.distributed
cluster, gathered into the same Results as one process would give.

`elisa.cluster.chunks` runs on the workers, `elisa.cluster.combine` puts the chunks together
and `elisa.cluster.session` connects to (or starts) the cluster and runs a batch on it. The
design is told in `elisa.cluster.session`. dask is imported only when a cluster is used.
"""
