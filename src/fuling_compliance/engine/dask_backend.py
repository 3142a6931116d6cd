"""Run evaluation on Dask distributed (optional extra ``fuling-compliance[dask]``).

Each rule chunk becomes one task of plain data (:class:`~fuling_compliance.engine.run.Task`:
compiled rules, engine facts by session, the gate); the workers run it on
durable_rules and send back the firings; the client merges them into the same report a
single process gives. Workers need the same version of ``fuling-compliance`` installed.

On a real cluster::

    from distributed import Client
    from fuling_compliance import evaluate, load_facts, load_rules

    client = Client("tcp://scheduler.example:8786")
    report = evaluate(load_rules(), load_facts(paths), executor=client.get_executor())

or ``fuling-compliance check FACTS --dask tcp://scheduler.example:8786``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import FulingError


@contextmanager
def dask_executor(address: str | None = None, **cluster: Any) -> Iterator[Any]:
    """An executor on the Dask scheduler at ``address``, or on a new ``LocalCluster``.

    ``cluster`` options go to ``LocalCluster`` (e.g. ``n_workers=2``).
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise FulingError("Dask is not installed: pip install 'fuling-compliance[dask]'") from exc
    if address is None:
        options = {"n_workers": 2, "threads_per_worker": 1, "processes": True,
                   "dashboard_address": None, **cluster}
        with LocalCluster(**options) as local, Client(local) as client:
            yield client.get_executor()
    else:
        with Client(address) as client:
            yield client.get_executor()
