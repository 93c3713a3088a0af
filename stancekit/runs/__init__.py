"""Long runs over many inputs.

``local`` runs the ``classify`` and ``compare`` commands on one machine, ``dask`` runs ``compare`` on a
Dask cluster with the same outputs; both cut the inputs into the same ``partitions`` and groups,
and ``checkpoint`` lets an interrupted run continue with ``--resume``.
"""
