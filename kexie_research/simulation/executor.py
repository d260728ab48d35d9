"""One executor abstraction for parallel work: in-process, local processes, or Dask.

Tasks carry their own seeds (children of one :class:`numpy.random.SeedSequence`), and
results come back in task order, so the outcome never depends on the executor or on the
number of workers.
"""

from __future__ import annotations

import sys
from collections import deque
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

from ..errors import KexieError

__all__ = ["map_chunks", "imap_chunks", "dask_client", "is_dask_client", "probe_scheduler",
           "SCHEDULER_TIMEOUT"]

SCHEDULER_TIMEOUT = 10.0
"""Seconds to wait for a Dask scheduler to answer before giving up (exit 2)."""


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


def imap_chunks(func: Callable, tasks: Sequence, *, workers: int = 1, executor=None,
                progress: bool = False, desc: str = "tasks",
                weights: Sequence[int] | None = None) -> Iterator:
    """``func(t) for t in tasks``, lazily and in task order, with at most a few tasks in
    flight (so results can be folded in as they come: memory stays flat).

    ``weights`` (e.g. replications per task) drive the progress bar.

    Examples
    --------
    >>> list(imap_chunks(abs, [-1, 2, -3]))
    [1, 2, 3]
    """
    tasks = list(tasks)
    w = list(weights) if weights is not None else [1] * len(tasks)
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=sum(w), desc=desc, file=sys.stderr, leave=False, unit_scale=True)
    try:
        if executor is not None and is_dask_client(executor):
            futs = executor.map(func, tasks, pure=False)
            for f, wt in zip(futs, w):
                r = f.result()
                f.release()
                if bar is not None:
                    bar.update(wt)
                yield r
            return
        if executor is None and (workers is None or workers <= 1 or len(tasks) <= 1):
            for t, wt in zip(tasks, w):
                r = func(t)
                if bar is not None:
                    bar.update(wt)
                yield r
            return
        if executor is not None and not isinstance(executor, Executor):
            raise TypeError("executor must be a concurrent.futures.Executor or a dask Client")
        own = executor is None
        ex = ProcessPoolExecutor(max_workers=int(workers)) if own else executor
        window = 2 * max(int(workers or 1), 2)
        try:
            pending: deque = deque()
            it = iter(zip(tasks, w))
            for t, wt in it:
                pending.append((ex.submit(func, t), wt))
                if len(pending) >= window:
                    break
            while pending:
                f, wt = pending.popleft()
                r = f.result()
                nxt = next(it, None)
                if nxt is not None:
                    pending.append((ex.submit(func, nxt[0]), nxt[1]))
                if bar is not None:
                    bar.update(wt)
                yield r
        finally:
            if own:
                ex.shutdown(cancel_futures=True)
    finally:
        if bar is not None:
            bar.close()


def probe_scheduler(address: str, timeout: float) -> None:
    """Check that a Dask scheduler answers at a ``tcp://host:port`` address.

    A scheduler greets every new connection with its handshake (a framed message: total
    length, number of frames, frame lengths, as little-endian 64-bit integers). Anything
    else — nothing listening, silence, another protocol — raises
    :class:`~kexie_research.errors.KexieError` within ``timeout`` seconds, before
    ``dask.distributed`` gets a chance to hang or to parse foreign bytes.
    """
    import socket
    import struct
    from urllib.parse import urlsplit

    u = urlsplit(address if "://" in address else f"tcp://{address}")
    if u.scheme != "tcp":
        return                      # other transports: leave it to dask
    try:
        host, port = u.hostname, u.port
    except ValueError:
        host = port = None
    if not host or not port:
        raise KexieError(f"--scheduler {address}: not an address like tcp://host:port")
    try:
        conn = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise KexieError(f"--scheduler {address}: cannot connect ({exc.strerror or exc})") from None
    try:
        conn.settimeout(timeout)
        data = b""
        try:
            while len(data) < 16:
                chunk = conn.recv(16 - len(data))
                if not chunk:
                    break
                data += chunk
        except (socket.timeout, OSError):
            pass
    finally:
        conn.close()
    if len(data) < 16:
        raise KexieError(f"--scheduler {address}: something listens there but no Dask scheduler "
                         f"answered within {timeout:g} s")
    total, nframes = struct.unpack("<QQ", data)
    if not (0 < nframes <= 1024 and 8 * (1 + nframes) <= total <= 1 << 26):
        raise KexieError(f"--scheduler {address}: the service answering there is not a Dask scheduler")


@contextmanager
def dask_client(address: str, *, timeout: float | None = None) -> Iterator[Any]:
    """Connect to a Dask scheduler (``tcp://host:port``); needs the ``cluster`` extra.

    Anything that is not a reachable Dask scheduler — nothing listening, another service
    answering, a malformed address — raises :class:`~kexie_research.errors.KexieError`
    with one line within ``timeout`` seconds (the CLI exits 2).
    """
    try:
        from dask.distributed import Client
    except ImportError:  # pragma: no cover - depends on the install
        raise KexieError("--scheduler needs dask.distributed: install kexie_research[cluster]") from None
    timeout = SCHEDULER_TIMEOUT if timeout is None else float(timeout)
    probe_scheduler(address, timeout)
    try:
        client = Client(address, timeout=f"{float(timeout):g}s", set_as_default=False)
    except Exception as exc:  # noqa: BLE001 - whatever answered, it is not a usable scheduler
        msg = " ".join(str(exc).split()) or type(exc).__name__
        raise KexieError(f"--scheduler {address}: no Dask scheduler answered within "
                         f"{float(timeout):g} s ({type(exc).__name__}: {msg[:200]})") from None
    try:
        yield client
    finally:
        client.close()
