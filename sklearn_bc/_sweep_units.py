"""A sweep's independent training units: the CV splits and the final refit.

Each unit trains every point on its rows and predicts its test rows; it
depends only on its arguments, so joblib may run the units in parallel, in
other processes or on Dask workers, with the same results.
"""

from __future__ import annotations

import threading
import time
from typing import NamedTuple

import numpy as np
import torch
from sklearn.utils.parallel import Parallel, delayed

from ._vectorised import predict_outputs, train_points

_GLOBAL_RNG = threading.Lock()


class UnitResult(NamedTuple):
    """What one independent unit of a sweep (a split, or the refit) gives back."""

    states: dict | None
    train_loss: np.ndarray
    predictions: torch.Tensor | None
    fit_time: float
    score_time: float


def _argmax_labels(output):
    return output.argmax(-1)


def _sign_labels(output):
    return (output.reshape(output.shape[0], -1) > 0).long()


def label_transform(base):
    """Model outputs to class indices, for ``base`` loss (a picklable function)."""
    return _sign_labels if base == "binary_cross_entropy" else _argmax_labels


def run_unit(
    module, points, data, train_rows, test_rows, *, device, torch_seed,
    keep_states, chunk_rows, **train_kwargs,
):  # fmt: skip
    """Train every point on ``train_rows`` and predict ``test_rows``.

    A unit depends only on its arguments: joblib may run it in another
    process (or on a Dask worker) with the same result. torch's global random
    generator (dropout masks, random transforms read without workers) is
    seeded with ``torch_seed`` inside the unit and restored after it.

    Parameters
    ----------
    module : torch.nn.Module
        The initial h2 (not modified).
    points : Points
    data : ArrayRows or ItemRows
        The rows (moved to ``device`` here).
    train_rows, test_rows : ndarray of int or None
        Training rows (None: all) and rows to predict (None: none).
    keep_states : bool
        Return the trained states (the refit), else only the predictions.
    **train_kwargs
        The rest of :func:`train_points`'s keyword arguments.

    Returns
    -------
    result : UnitResult
        ``predictions``: class indices, shape (n_points, len(test_rows)).
    """
    start = time.perf_counter()
    device = torch.device(device)
    data = data.to(device)
    forked = []
    if device.type == "cuda":
        forked = [device.index if device.index is not None else 0]
    # torch's global generator is one per process: units on threads of one
    # process (joblib's threading backend, a Dask cluster of threads) take
    # turns, or one unit's dropout would draw from another's seed
    with _GLOBAL_RNG, torch.random.fork_rng(devices=forked):
        torch.manual_seed(int(torch_seed))
        rows = None if train_rows is None else torch.as_tensor(train_rows)
        states, losses = train_points(module, points, data, rows=rows, **train_kwargs)
        fit_time = time.perf_counter() - start
        start = time.perf_counter()
        predictions = None
        if test_rows is not None:
            predictions = predict_outputs(
                module,
                states,
                (data.inputs(test_rows, chunk_rows), len(test_rows)),
                vectorise=train_kwargs["vectorise"],
                transform=label_transform(train_kwargs["base"]),
                chunk_rows=chunk_rows,
            )
    return UnitResult(
        states if keep_states else None,
        losses,
        predictions,
        fit_time,
        time.perf_counter() - start,
    )


def _merge(parts, expand):
    """One unit's result from its point groups' results, expanded to every point."""
    index = torch.as_tensor(expand)
    states = None
    if parts[0].states is not None:
        states = {
            name: torch.cat([part.states[name] for part in parts])[index]
            for name in parts[0].states
        }
    predictions = None
    if parts[0].predictions is not None:
        predictions = torch.cat([part.predictions for part in parts])[index]
    return UnitResult(
        states,
        np.concatenate([part.train_loss for part in parts])[expand],
        predictions,
        sum(part.fit_time for part in parts),
        sum(part.score_time for part in parts),
    )


def point_groups(points, imitation_target, points_per_unit):
    """The distinct points (:meth:`Points.distinct`) in groups of ``points_per_unit``.

    Returns
    -------
    groups : list of list of int
        Indices into ``points``, one list per task of a unit.
    expand : ndarray of int
        For each point, its model's position in the concatenated groups.
    """
    keep, expand = points.distinct(imitation_target)
    size = len(keep) if points_per_unit is None else int(points_per_unit)
    return [keep[i : i + size] for i in range(0, len(keep), size)], expand


def run_units(
    module, points, data, units, *, n_jobs, points_per_unit=None, on_done=None,
    **unit_kwargs,
):  # fmt: skip
    """Yield each unit's :class:`UnitResult`, in order, as they finish.

    The points that train distinct models (:meth:`Points.distinct`) are cut
    into groups of ``points_per_unit``; every (unit, group) pair is one joblib
    task, and a unit's result gathers its groups' results for every point.

    Parameters
    ----------
    units : list of (train_rows, test_rows, keep_states)
        ``train_rows`` None means all rows in order (no index).
    n_jobs : int or None
        joblib's ``n_jobs`` (any backend: loky, threads, Dask).
    points_per_unit : int or None
        Distinct points trained together by one task (None: all).
    on_done : callable or None
        Called with no argument as each task finishes (a progress bar).
    **unit_kwargs
        The rest of :func:`run_unit`'s keyword arguments.
    """
    groups, expand = point_groups(
        points, unit_kwargs["imitation_target"], points_per_unit
    )
    unit = delayed(run_unit)
    tasks = Parallel(n_jobs=n_jobs, return_as="generator")(
        unit(
            module,
            points.subset(group),
            data,
            train,
            test,
            keep_states=keep_states,
            **unit_kwargs,
        )  # fmt: skip
        for train, test, keep_states in units
        for group in groups
    )
    parts = []
    for result in tasks:
        if on_done is not None:
            on_done()
        parts.append(result)
        if len(parts) == len(groups):
            yield _merge(parts, expand)
            parts = []
