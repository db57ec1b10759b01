"""Stacked copies of one module, run together with ``torch.func.vmap``.

The parameters and buffers of the copies are stacked along a new leading
dimension (``torch.func.stack_module_state``) and one ``vmap`` of
``functional_call`` runs every copy on a batch. In training mode each copy
updates its own slice of the stacked buffers in place, as it would alone
(the running statistics of BatchNorm, and of InstanceNorm with
``track_running_stats=True``). :func:`vectorisation_problems` tries a stack
against the module alone and says when training the stack would not equal
training each copy alone (e.g. BatchNorm with ``momentum=None``).
"""

from __future__ import annotations

import contextlib
import copy

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

# optimizers whose update of an element depends on that element's history only
ELEMENTWISE_OPTIMIZERS = (
    torch.optim.SGD,
    torch.optim.Adam,
    torch.optim.AdamW,
    torch.optim.Adagrad,
    torch.optim.Adadelta,
    torch.optim.Adamax,
    torch.optim.NAdam,
    torch.optim.RAdam,
    torch.optim.RMSprop,
    torch.optim.Rprop,
    torch.optim.ASGD,
)

# layers whose running statistics training updates in place; named as such
# when a stack cannot reproduce their update
_STATEFUL_NORMS = (
    nn.modules.batchnorm._BatchNorm,
    nn.modules.instancenorm._InstanceNorm,
)

_LAYER_STATS = "layers that update running statistics in place in training mode: "
_BUFFERS = "buffers modified in place by forward: "
_OUTPUTS = "the stacked copies' training-mode outputs differ from the module's own"
_PROBE_SEED = 0


def _unwrap(output):
    return output[0] if isinstance(output, (tuple, list)) else output


def _close(stacked, alone):
    """Whether a stacked copy's tensor is the module's own, up to rounding.

    A stack that misses an update is off by the update itself, far beyond
    the square root of the precision that bounds a different summation order.
    """
    if stacked.shape != alone.shape or stacked.dtype != alone.dtype:
        return False
    if not alone.is_floating_point():
        return torch.equal(stacked, alone)
    tol = torch.finfo(alone.dtype).eps ** 0.5
    scale = max(1.0, alone.abs().max().item()) if alone.numel() else 1.0
    return torch.allclose(stacked, alone, rtol=tol, atol=tol * scale, equal_nan=True)


@contextlib.contextmanager
def _seeded(x):
    """The same random numbers (dropout, ...) for the copy alone and the stack."""
    cuda = x.device.type == "cuda"
    with torch.random.fork_rng(devices=[x.device] if cuda else []):
        torch.default_generator.manual_seed(_PROBE_SEED)
        if cuda:
            with torch.cuda.device(x.device):
                torch.cuda.manual_seed(_PROBE_SEED)
        yield


def _alone(module, x):
    """A copy of ``module`` run once in training mode on ``x``.

    Returns
    -------
    output : Tensor
    buffers : dict of str to Tensor
        The copy's buffers after the forward pass.
    mutated : list of str
        Those the forward modified in place (new values or version counter).
    inputs : dict of str to (torch.nn.Module, Tensor)
        For each submodule owning a mutated buffer and called with one
        tensor: a copy of it as it was before its first call, and that input.
    """
    alone = copy.deepcopy(module).train()
    before = {name: (b._version, b.clone()) for name, b in alone.named_buffers()}
    seen = {}

    def keep(name):
        def hook(layer, args):
            if name not in seen and len(args) == 1 and torch.is_tensor(args[0]):
                seen[name] = (copy.deepcopy(layer), args[0].detach().clone())

        return hook

    hooks = [
        layer.register_forward_pre_hook(keep(name))
        for name, layer in alone.named_modules()
        if next(layer.buffers(recurse=False), None) is not None
    ]
    try:
        with _seeded(x), torch.no_grad():
            output = _unwrap(alone(x))
    finally:
        for hook in hooks:
            hook.remove()
    buffers = dict(alone.named_buffers())
    mutated = [
        name
        for name, b in buffers.items()
        if b._version != before[name][0] or not torch.equal(b, before[name][1])
    ]
    owners = {name.rpartition(".")[0] for name in mutated}
    inputs = {name: seen[name] for name in sorted(owners) if name in seen}
    return output, buffers, mutated, inputs


def _mismatches(module, x, output, buffers, mutated):
    """What a 2-copy stack trained on ``x`` does not reproduce of ``_alone``.

    Returns the mutated buffers some stacked copy does not end with, and
    whether every copy's output is the module's own. Raises what the stack
    raises under ``vmap`` (forward and backward).
    """
    stack = _Stack([module, module])
    with _seeded(x), torch.enable_grad():
        stacked = _unwrap(stack.forward(x, randomness="same"))
        if stacked.requires_grad:
            stacked.sum().backward()
    unmatched = [
        name
        for name in mutated
        if not all(_close(b, buffers[name]) for b in stack.buffers[name])
    ]
    return unmatched, all(_close(o.detach(), output) for o in stacked)


def _layer_problems(module, mutated, inputs):
    """Submodules whose in-place buffer update a stack does not reproduce.

    Each owner of a mutated buffer is stacked alone on the input it got, so
    a problem is named after its layer even where the whole module would
    fail for it under ``vmap`` (``momentum=None`` calls ``float()`` on
    ``num_batches_tracked``).
    """
    layers, buffers = [], []
    for name, (layer, x) in inputs.items():
        try:
            unmatched, outputs_match = _mismatches(layer, x, *_alone(layer, x)[:3])
            exact = not unmatched and outputs_match
        except Exception:
            exact = False
        if exact:
            continue
        owner = module.get_submodule(name)
        if isinstance(owner, _STATEFUL_NORMS):
            layers.append(f"{name or '<root>'} ({type(owner).__name__})")
        else:
            buffers += [b for b in mutated if b.rpartition(".")[0] == name]
    problems = [_LAYER_STATS + ", ".join(layers)] if layers else []
    return problems + ([_BUFFERS + ", ".join(buffers)] if buffers else [])


def vectorisation_problems(module, optimizer, x):
    """Why the stacked models would not train exactly as the points alone.

    A probe, not a list of layers: two stacked copies of ``module`` run a
    training step on ``x`` next to a copy run alone, and every buffer the
    copy updates in place (BatchNorm's running statistics, ...) must end the
    same in both stacked copies, as must the outputs. So a torch whose
    ``vmap`` does not write stacked buffers (the project supports
    torch>=2.2; 2.13 writes them) falls back to training one by one instead
    of silently training with frozen statistics.

    Parameters
    ----------
    module : torch.nn.Module
        An initialised h2 (not modified).
    optimizer : type
        The optimizer class.
    x : Tensor
        A few training rows, to try the module on.

    Returns
    -------
    problems : list of str
        Empty when the points can be trained together.
    """
    problems = []
    try:
        output, buffers, mutated, inputs = _alone(module, x)
    except Exception as exc:  # the fit itself reports the module's own errors
        problems.append(f"the module failed on a training batch: {exc!r}")
    else:
        problems += _layer_problems(module, mutated, inputs)
    if not (
        isinstance(optimizer, type) and issubclass(optimizer, ELEMENTWISE_OPTIMIZERS)
    ):
        name = getattr(optimizer, "__name__", repr(optimizer))
        problems.append(
            f"optimizer {name} is not known to update each element independently"
        )
    if not problems:
        try:  # data-dependent control flow, .item(), in-place input writes, ...
            unmatched, outputs_match = _mismatches(module, x, output, buffers, mutated)
        except Exception as exc:
            problems.append(f"the module cannot run under torch.func.vmap: {exc!r}")
        else:
            if unmatched:
                problems.append(_BUFFERS + ", ".join(unmatched))
            if not outputs_match:
                problems.append(_OUTPUTS)
    return problems


class _Stack:
    """Stacked copies of a module, run together with vmap."""

    def __init__(self, modules):
        self.params, self.buffers = stack_module_state(
            [copy.deepcopy(m) for m in modules]
        )
        self._skeleton = copy.deepcopy(modules[0]).to("meta")

    def _call(self, params, buffers, x):
        return functional_call(self._skeleton, (params, buffers), (x,))

    def match_gradient_layout(self, x):
        """Lay each stacked parameter out in memory as its gradient comes out.

        vmap's backward returns, e.g., a Linear weight's gradient transposed
        in memory; autograd then copies every gradient into the parameter's
        layout on every step (5-12% of a stacked CPU step of an MLP). A
        parameter with the gradient's strides takes the gradient as it is.
        The values are unchanged; only their memory order is.
        """
        names = [name for name, p in self.params.items() if p.requires_grad]
        with torch.enable_grad():
            output = _unwrap(self.forward(x, training=False))
            grads = torch.autograd.grad(
                output.sum(), [self.params[n] for n in names], allow_unused=True
            )
        for name, grad in zip(names, grads, strict=True):
            param = self.params[name].detach()
            if grad is not None and grad.stride() != param.stride():
                moved = torch.empty_strided(
                    param.shape, grad.stride(), dtype=param.dtype, device=param.device
                )
                self.params[name] = moved.copy_(param).requires_grad_()

    def forward(self, x, training=True, randomness="different"):
        self._skeleton.train(training)
        run = vmap(self._call, in_dims=(0, 0, None), randomness=randomness)
        return run(self.params, self.buffers, x)

    def state_dicts(self):
        return {
            name: tensor.detach().cpu().contiguous()
            for name, tensor in {**self.params, **self.buffers}.items()
        }
