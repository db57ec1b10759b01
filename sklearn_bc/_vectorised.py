"""Train many copies of one network together, each with its own loss weights.

A sweep trains one network per (dissonance, lambda_c) point; the points share
the architecture, the data, the initialisation and the batch order and differ
only in the weights of the loss. Here their parameters and buffers are stacked
along a new leading dimension (``torch.func.stack_module_state``), one ``vmap``
of ``functional_call`` runs every model on a batch, and one optimizer steps the
stacked parameters. For an optimizer that updates each parameter element from
that element's own state only (SGD with momentum and weight decay, Adam, ...)
this is exactly one optimizer per model: the summed loss gives each model's
slice the gradient of its own loss. In training mode each model updates its
own slice of the buffers (BatchNorm's running statistics, ...) as it would
alone.

Where that is not exact (e.g. BatchNorm with ``momentum=None``) the points are
trained one after the other with the same initialisation, batches and loss
(:func:`vectorisation_problems` says why).
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from ._stack import _Stack, _unwrap
from .distillation import _distillation_loss
from .losses import _compatibility_loss

_DISTILLATIONS = ("focal_distillation", "logit_inhibition", "churn_distillation")


def _batch_losses(
    output, y, proba, correct, logits, points, *, base, imitation_target,
    distillation,
):  # fmt: skip
    """Each stacked model's loss, one functional-core call per dissonance.

    Every point of a dissonance gets its own ``lambda_c`` (a tensor of one
    weight per stacked model); the other settings are the sweep's.
    """
    if base == "binary_cross_entropy":
        output = output.reshape(output.shape[0], y.shape[0])
    losses = torch.empty(output.shape[0], dtype=output.dtype, device=output.device)
    for dissonance in _DISTILLATIONS:
        index = points.index_of(dissonance)
        if index is None:
            continue
        losses = losses.index_put(
            (index,),
            _distillation_loss(
                dissonance,
                output[index],
                y,
                logits.to(output.dtype),
                correct,
                lambda_c=points.lambdas[index],
                **distillation,
            ),
        )
    for dissonance, target in (("new_error", None), ("strict_imitation", "soft")):
        index = points.index_of(dissonance)
        if index is None:
            continue
        losses = losses.index_put(
            (index,),
            _compatibility_loss(
                output[index],
                y,
                proba.to(output.dtype),
                correct,
                lambda_c=points.lambdas[index],
                base=base,
                target=target if target is None else imitation_target,
            ),
        )
    return losses


class Points:
    """The (dissonance, lambda_c) points of a sweep, in a fixed order."""

    def __init__(self, pairs, device):
        self.pairs = list(pairs)
        self.dissonances = np.array([d for d, _ in self.pairs])
        self.lambdas = torch.tensor(
            [float(lam) for _, lam in self.pairs], dtype=torch.float64, device=device
        )
        self._index = {
            d: torch.as_tensor(np.flatnonzero(self.dissonances == d), device=device)
            for d in set(self.dissonances.tolist())
        }

    def __len__(self):
        return len(self.pairs)

    def index_of(self, dissonance):
        return self._index.get(dissonance)

    def subset(self, m):
        """The points at index ``m`` (an int or a list of ints)."""
        index = [m] if isinstance(m, (int, np.integer)) else list(m)
        return Points([self.pairs[i] for i in index], self.lambdas.device)

    def distinct(self, imitation_target):
        """Indices of the points that train distinct models, and the expansion.

        At lambda_c=0 every dissonance is the plain loss, and strict
        imitation of h1's *label* equals new error (where h1 is right its
        label is y): such points train the same model, so it is trained once.

        Returns
        -------
        keep : list of int
            One point per distinct model.
        expand : ndarray of int
            For each point, its model's position in ``keep``.
        """
        first = {}
        expand = []
        for dissonance, lam in self.pairs:
            lam = float(lam)
            if lam == 0.0:
                dissonance = "plain"
            elif imitation_target == "hard" and dissonance == "strict_imitation":
                dissonance = "new_error"
            expand.append(first.setdefault((dissonance, lam), len(first)))
        keep = [expand.index(k) for k in range(len(first))]
        return keep, np.asarray(expand)


def train_points(
    module,
    points,
    data,
    *,
    vectorise,
    optimizer,
    optimizer_kwargs,
    max_epochs,
    batch_size,
    seed,
    base,
    imitation_target,
    distillation=None,
    rows=None,
    refresh=None,
):
    """Train one copy of ``module`` per point on the same batches.

    Points that train the same model (:meth:`Points.distinct`: lambda_c=0 of
    every dissonance, and hard imitation next to new error) are trained once.

    Parameters
    ----------
    module : torch.nn.Module
        The initial h2, on the training device (not modified).
    points : Points
    data : ArrayRows or ItemRows
        The rows, on the training device (:mod:`sklearn_bc._sweep_data`).
    rows : Tensor of int or None
        The training rows of ``data`` (None: all). Batches are read from
        ``data`` through it, so no copy of the training rows is made.
    vectorise : bool
        Train the points together (stacked) or one after the other.
    seed : int
        Seed of the batch order (the same for every point).
    distillation : dict or None
        Keyword arguments of the distillation dissonances' functional form
        (``alpha``, ``beta``, ``distance``, ...), the same for every point.
    refresh : callable or None
        ``refresh(X, y) -> (h1_proba, h1_correct, h1_logits)``: h1's outputs
        on each training batch, replacing the cached ones (augmentation).

    Returns
    -------
    states : dict of str to Tensor
        Parameters and buffers stacked over the points, on the CPU.
    train_loss : ndarray of shape (n_points, max_epochs)
        Each epoch's mean training loss (batches weighted by their size).
    """

    def train(group):
        return _train_group(
            module,
            group,
            data,
            optimizer,
            optimizer_kwargs,
            max_epochs,
            batch_size,
            seed,
            base,
            imitation_target,
            distillation or {},
            rows,
            refresh,
        )

    keep, expand = points.distinct(imitation_target)
    distinct = points.subset(keep)
    if vectorise:
        states, losses = train(distinct)
    else:
        alone = [train(distinct.subset(m)) for m in range(len(distinct))]
        states = {name: torch.cat([s[name] for s, _ in alone]) for name in alone[0][0]}
        losses = np.concatenate([loss for _, loss in alone])
    if len(keep) == len(points):
        return states, losses
    index = torch.as_tensor(expand)
    return {name: t[index] for name, t in states.items()}, losses[expand]


def _train_group(
    module, points, data, optimizer, optimizer_kwargs, max_epochs, batch_size,
    seed, base, imitation_target, distillation, rows, refresh,
):  # fmt: skip
    n = len(data) if rows is None else len(rows)
    single = len(points) == 1
    if single:  # the plain module: BatchNorm and friends work as usual
        model = copy.deepcopy(module).train()
        params = list(model.parameters())
    else:
        stack = _Stack([module] * len(points))
        stack.match_gradient_layout(data.sample(min(batch_size, len(data))))
        params = list(stack.params.values())
    opt = optimizer(params, **optimizer_kwargs)
    generator = torch.Generator().manual_seed(int(seed))
    # a DataLoader draws its workers' seed from this one (not from the batch
    # order's generator, nor from torch's global one, which dropout uses)
    loader_generator = torch.Generator().manual_seed(int(seed) + 1)
    history = np.zeros((len(points), max_epochs))
    for epoch in range(max_epochs):
        total = torch.zeros(len(points), dtype=torch.float64, device=data.device)
        batches = torch.randperm(n, generator=generator).split(batch_size)
        if rows is not None:
            batches = [rows[b.to(rows.device)] for b in batches]
        for xb, yb, proba, correct, logits in data.batches(
            batches, generator=loader_generator
        ):
            if refresh is not None:
                proba, correct, logits = refresh(xb, yb)
            output = _unwrap(model(xb))[None] if single else _unwrap(stack.forward(xb))
            losses = _batch_losses(
                output, yb, proba, correct, logits, points, base=base,
                imitation_target=imitation_target, distillation=distillation,
            )  # fmt: skip
            opt.zero_grad()
            losses.sum().backward()
            opt.step()
            total += losses.detach().double() * len(yb)
        history[:, epoch] = (total / n).cpu().numpy()
    if single:
        state = {
            name: tensor.detach().cpu()[None]
            for name, tensor in (*model.named_parameters(), *model.named_buffers())
        }
        return state, history
    return stack.state_dicts(), history


def predict_outputs(module, states, X, *, vectorise, transform, chunk_rows=128):
    """``transform`` of every stacked model's outputs on ``X`` (evaluation mode).

    The outputs, shape (n_models, n_rows, ...), are computed and transformed
    ``chunk_rows`` rows at a time to bound the memory of a large stack: the
    training batch size keeps prediction's activations within training's.
    ``X`` is a tensor, or ``(chunks, n_rows)``: an iterable of input chunks
    and their total row count.
    """
    if isinstance(X, torch.Tensor):
        chunks, n_rows, device = X.split(chunk_rows), X.shape[0], X.device
    else:
        (chunks, n_rows), device = X, None
    n_models = next(iter(states.values())).shape[0]
    models = {}

    def run(x):  # the models, built on the first chunk's device
        if not models:
            models["run"] = _evaluators(module, states, n_models, x.device, vectorise)
        return torch.cat([f(x) for f in models["run"]])

    # Written into one preallocated result: keeping each chunk's small result
    # alive between the large temporaries fragmented glibc's heap (+150 MiB
    # peak RSS for 22 models on 10,000 rows).
    result, start = None, 0
    with torch.no_grad():
        for x in chunks:
            chunk = transform(run(x if device is None else x.to(device))).cpu()
            if result is None:
                shape = (chunk.shape[0], n_rows, *chunk.shape[2:])
                result = torch.empty(shape, dtype=chunk.dtype)
            result[:, start : start + chunk.shape[1]] = chunk
            start += chunk.shape[1]
    if result is None:  # no rows (callers validate against this)
        return torch.empty((n_models, 0), dtype=torch.long)
    return result


def _evaluators(module, states, n_models, device, vectorise):
    """Callables giving the models' outputs, shape (n_models or 1, n, ...)."""
    if vectorise:
        stack = _Stack([module])
        stack.params = {k: states[k].to(device) for k in stack.params}
        stack.buffers = {k: states[k].to(device) for k in stack.buffers}
        return [lambda x: _unwrap(stack.forward(x, training=False))]
    run = []
    for m in range(n_models):
        model = copy.deepcopy(module).eval()
        load_state(model, states, m)
        run.append(lambda x, model=model: _unwrap(model(x))[None])
    return run


def load_state(model, states, m):
    """Copy model ``m``'s slice of the stacked ``states`` into ``model``."""
    with torch.no_grad():
        for name, tensor in (*model.named_parameters(), *model.named_buffers()):
            tensor.copy_(states[name][m])
    return model
