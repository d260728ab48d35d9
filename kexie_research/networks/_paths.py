"""Compiled kernels (numba) for national-scale path measures.

- :func:`sample_shortest_paths` — uniformly random shortest paths between uniformly random
  ordered pairs of distinct nodes (Riondato & Kornaropoulos 2016; the balanced bidirectional
  BFS of Borassi & Natale's KADABRA, 2019). A node's share of sampled paths on which it is
  an inner node estimates its betweenness without bias, with a binomial standard error.
- :func:`bfs_distance_sums` — distance sums from a set of BFS sources (sampled closeness).
- :func:`closeness_sums` — each listed node's distance sum and reach, one BFS per node,
  touching only that node's component (exact closeness on small components).

Randomness is counter-based: sample ``i`` draws from a SplitMix64 stream seeded by
``(seed, i)`` only, so the result depends on the seed and the number of samples, never on
threads, batches or the order of work. Paths are drawn one at a time in a single thread.

The module is imported lazily by :mod:`.backend` (numba compiles on first use and caches
the machine code next to this file, or in ``NUMBA_CACHE_DIR``).

References
----------
.. [1] M. Riondato & E. M. Kornaropoulos, "Fast approximation of betweenness centrality
   through sampling", Data Min. Knowl. Disc. 30 (2016) 438–475.
.. [2] M. Borassi & E. Natale, "KADABRA is an ADaptive Algorithm for Betweenness via Random
   Approximation", ACM J. Exp. Algorithmics 24 (2019).
.. [3] G. L. Steele, D. Lea & C. H. Flood, "Fast splittable pseudorandom number
   generators" (SplitMix64), OOPSLA 2014.
"""

from __future__ import annotations

import numba as nb
import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_MIX = np.uint64(0xD1B54A32D192ED03)


@nb.njit(cache=True, inline="always")
def _next(state):
    """SplitMix64 step: (new state, uniform double in [0, 1) from the top 53 bits)."""
    state = state + _GOLDEN
    z = state
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    z = z ^ (z >> np.uint64(31))
    return state, (z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@nb.njit(cache=True)
def sample_shortest_paths(indptr, indices, comp, seed, start, n_samples):
    """Draw samples ``start .. start + n_samples - 1``.

    Returns ``(counts, ptr, inner, work)``: ``counts[v]`` = samples whose path has ``v`` as
    an inner node; the inner nodes of sample ``start + j`` are ``inner[ptr[j]:ptr[j + 1]]``;
    ``work`` = edges scanned (for the benchmark).
    """
    n = indptr.shape[0] - 1
    counts = np.zeros(n, np.int64)
    ptr = np.zeros(n_samples + 1, np.int64)
    inner = np.empty(max(16, 8 * n_samples), np.int64)
    n_inner = 0
    dist = np.full(n, -1, np.int64)
    ball = np.zeros(n, np.int8)
    sigma = np.zeros(n, np.float64)
    queue = np.empty(n, np.int64)
    meet_x = np.empty(indices.shape[0] + 1, np.int64)
    meet_y = np.empty(indices.shape[0] + 1, np.int64)
    work = 0
    for j in range(n_samples):
        ptr[j] = n_inner
        st = np.uint64(seed) ^ (np.uint64(start + j) * _MIX)
        st, r = _next(st)
        u = min(int(r * n), n - 1)
        st, r = _next(st)
        v = min(int(r * (n - 1)), n - 2)
        if v >= u:
            v += 1
        if comp[u] != comp[v]:
            continue
        queue[0] = u
        queue[1] = v
        q_end = 2
        dist[u] = 0
        dist[v] = 0
        ball[u] = 1
        ball[v] = 2
        sigma[u] = 1.0
        sigma[v] = 1.0
        fu_s, fu_e, fv_s, fv_e = 0, 1, 1, 2
        sdu = indptr[u + 1] - indptr[u]
        sdv = indptr[v + 1] - indptr[v]
        n_meet = 0
        done = False
        while not done:
            # expand the side whose frontier has the smaller degree sum (balanced BFS)
            if sdu <= sdv:
                side, fs, fe = 1, fu_s, fu_e
            else:
                side, fs, fe = 2, fv_s, fv_e
            new_s = q_end
            sd = 0
            for qi in range(fs, fe):
                x = queue[qi]
                dx = dist[x]
                for e in range(indptr[x], indptr[x + 1]):
                    y = indices[e]
                    work += 1
                    if ball[y] == 0:
                        ball[y] = side
                        dist[y] = dx + 1
                        sigma[y] = sigma[x]
                        queue[q_end] = y
                        q_end += 1
                        sd += indptr[y + 1] - indptr[y]
                    elif ball[y] != side:
                        # the balls touch: every edge from this frontier into the other ball
                        # closes a shortest path (all of the same length)
                        meet_x[n_meet] = x
                        meet_y[n_meet] = y
                        n_meet += 1
                        done = True
                    elif dist[y] == dx + 1:
                        sigma[y] += sigma[x]
            if side == 1:
                fu_s, fu_e, sdu = new_s, q_end, sd
            else:
                fv_s, fv_e, sdv = new_s, q_end, sd
            if q_end == new_s:
                done = True  # this side is exhausted (cannot happen inside one component)
        if n_meet > 0:
            tot = 0.0
            for k in range(n_meet):
                tot += sigma[meet_x[k]] * sigma[meet_y[k]]
            st, r = _next(st)
            target = r * tot
            acc = 0.0
            pick = n_meet - 1
            for k in range(n_meet):
                acc += sigma[meet_x[k]] * sigma[meet_y[k]]
                if acc > target:
                    pick = k
                    break
            # walk back to u and to v, choosing each predecessor with probability
            # sigma(pred) / sigma(node): a uniformly random shortest path
            for end in range(2):
                w = meet_x[pick] if end == 0 else meet_y[pick]
                while dist[w] > 0:
                    counts[w] += 1
                    if n_inner == inner.shape[0]:
                        grown = np.empty(2 * inner.shape[0], np.int64)
                        grown[:n_inner] = inner[:n_inner]
                        inner = grown
                    inner[n_inner] = w
                    n_inner += 1
                    st, r = _next(st)
                    target = r * sigma[w]
                    acc = 0.0
                    last = -1
                    for e in range(indptr[w], indptr[w + 1]):
                        p = indices[e]
                        if ball[p] == ball[w] and dist[p] == dist[w] - 1:
                            acc += sigma[p]
                            last = p
                            if acc > target:
                                break
                    w = last
        for qi in range(q_end):
            x = queue[qi]
            ball[x] = 0
            dist[x] = -1
            sigma[x] = 0.0
    ptr[n_samples] = n_inner
    return counts, ptr, inner[:n_inner].copy(), work


@nb.njit(cache=True)
def bfs_distance_sums(indptr, indices, sources):
    """Σ d(s, v), Σ d(s, v)² and the number of sources reaching ``v`` (a source reaches
    itself at distance 0), over BFS from each source."""
    n = indptr.shape[0] - 1
    dsum = np.zeros(n, np.float64)
    dsq = np.zeros(n, np.float64)
    reach = np.zeros(n, np.int64)
    dist = np.full(n, -1, np.int64)
    queue = np.empty(n, np.int64)
    for s in sources:
        queue[0] = s
        dist[s] = 0
        head, tail = 0, 1
        while head < tail:
            x = queue[head]
            head += 1
            d = dist[x]
            dsum[x] += d
            dsq[x] += d * d
            reach[x] += 1
            for e in range(indptr[x], indptr[x + 1]):
                y = indices[e]
                if dist[y] < 0:
                    dist[y] = d + 1
                    queue[tail] = y
                    tail += 1
        for i in range(tail):
            dist[queue[i]] = -1
    return dsum, dsq, reach


@nb.njit(cache=True)
def closeness_sums(indptr, indices, nodes):
    """For each listed node: (Σ of its distances to the nodes it reaches, how many it
    reaches including itself, edges scanned). One BFS per node, inside its component."""
    n = indptr.shape[0] - 1
    tot = np.zeros(nodes.shape[0], np.float64)
    reach = np.zeros(nodes.shape[0], np.int64)
    dist = np.full(n, -1, np.int64)
    queue = np.empty(n, np.int64)
    work = 0
    for i in range(nodes.shape[0]):
        s = nodes[i]
        queue[0] = s
        dist[s] = 0
        head, tail = 0, 1
        while head < tail:
            x = queue[head]
            head += 1
            tot[i] += dist[x]
            for e in range(indptr[x], indptr[x + 1]):
                y = indices[e]
                work += 1
                if dist[y] < 0:
                    dist[y] = dist[x] + 1
                    queue[tail] = y
                    tail += 1
        reach[i] = tail
        for k in range(tail):
            dist[queue[k]] = -1
    return tot, reach, work
