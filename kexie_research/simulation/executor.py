"""One executor abstraction for parallel work: in-process, local processes, or Dask.

Tasks carry their own seeds (children of one :class:`numpy.random.SeedSequence`), and
results come back in task order, so the outcome never depends on the executor or on the
number of workers.
"""

from __future__ import annotations

import sys
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

from ..errors import KexieError

__all__ = ["map_chunks", "dask_client", "is_dask_client"]


def is_dask_client(obj: Any) -> bool:
    """True for a ``dask.distributed.Client`` (duck-typed: ``submit``, ``gather``, ``scheduler``)."""
    return all(hasattr(obj, a) for a in ("submit", "gather", "scheduler_info"))


def _progress(it, total: int, desc: str, enabled: bool):
    if not enabled:
        return it
    from tqdm.auto import tqdm
    return tqdm(it, total=total, desc=desc, file=sys.stderr, leave=False)


def map_chunks(func: Callable, tasks: Sequence, *, workers: int = 1, executor=None,
               progress: bool = False, desc: str = "tasks") -> list:
    """``[func(t) for t in tasks]``, possibly in parallel; results in task order.

    Parameters
    ----------
    func : callable
        A picklable top-level function.
    tasks : sequence
    workers : int
        Local processes when no ``executor`` is given (1 = in this process).
    executor : concurrent.futures.Executor or dask.distributed.Client, optional
        Run there instead.
    progress : bool
        Show a tqdm bar on stderr.

    Examples
    --------
    >>> map_chunks(abs, [-1, 2, -3])
    [1, 2, 3]
    """
    tasks = list(tasks)
    if executor is not None:
        if is_dask_client(executor):
            futs = executor.map(func, tasks, pure=False)
            out = []
            for f in _progress(futs, len(futs), desc, progress):
                out.append(f.result())
            return out
        if isinstance(executor, Executor):
            return list(_progress(executor.map(func, tasks), len(tasks), desc, progress))
        raise TypeError("executor must be a concurrent.futures.Executor or a dask Client")
    if workers is None or workers <= 1 or len(tasks) <= 1:
        return [func(t) for t in _progress(tasks, len(tasks), desc, progress)]
    with ProcessPoolExecutor(max_workers=int(workers)) as ex:
        return list(_progress(ex.map(func, tasks), len(tasks), desc, progress))


@contextmanager
def dask_client(address: str) -> Iterator[Any]:
    """Connect to a Dask scheduler (``tcp://host:port``); needs the ``cluster`` extra."""
    try:
        from dask.distributed import Client
    except ImportError:  # pragma: no cover - depends on the install
        raise KexieError("--scheduler needs dask.distributed: install kexie_research[cluster]") from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise KexieError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        yield client
    finally:
        client.close()
