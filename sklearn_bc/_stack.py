"""Stacked copies of one module, run together with ``torch.func.vmap``.

The parameters and buffers of the copies are stacked along a new leading
dimension (``torch.func.stack_module_state``) and one ``vmap`` of
``functional_call`` runs every copy on a batch. :func:`vectorisation_problems`
says when training the stack would not equal training each copy alone.
"""

from __future__ import annotations

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

# layers that write their buffers in place in training mode (running statistics)
_STATEFUL_NORMS = (
    nn.modules.batchnorm._BatchNorm,
    nn.modules.instancenorm._InstanceNorm,
)


def _stateful_layers(module):
    """Submodules that update running statistics in place while training."""
    return [
        f"{name or '<root>'} ({type(layer).__name__})"
        for name, layer in module.named_modules()
        if isinstance(layer, _STATEFUL_NORMS) and layer.track_running_stats
    ]


def _mutated_buffers(module, x):
    """Buffers a training-mode forward pass modifies in place (version counters)."""
    module = copy.deepcopy(module).train()
    before = {name: buf._version for name, buf in module.named_buffers()}
    with torch.no_grad():
        module(x)
    return [
        name for name, buf in module.named_buffers() if buf._version != before[name]
    ]


def _unwrap(output):
    return output[0] if isinstance(output, (tuple, list)) else output


def vectorisation_problems(module, optimizer, x):
    """Why the stacked models would not train exactly as the points alone.

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
    layers = _stateful_layers(module)
    if layers:
        problems.append(
            "layers that update running statistics in place in training mode: "
            + ", ".join(layers)
        )
    else:
        try:
            mutated = _mutated_buffers(module, x)
        except Exception as exc:  # the fit itself reports the module's own errors
            mutated = []
            problems.append(f"the module failed on a training batch: {exc!r}")
        if mutated:
            problems.append(
                "buffers modified in place by forward: " + ", ".join(mutated)
            )
    if not (
        isinstance(optimizer, type) and issubclass(optimizer, ELEMENTWISE_OPTIMIZERS)
    ):
        name = getattr(optimizer, "__name__", repr(optimizer))
        problems.append(
            f"optimizer {name} is not known to update each element independently"
        )
    if not problems:
        try:  # data-dependent control flow, .item(), in-place input writes, ...
            stack = _Stack([module, module])
            _unwrap(stack.forward(x)).sum().backward()
        except Exception as exc:
            problems.append(f"the module cannot run under torch.func.vmap: {exc!r}")
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

    def forward(self, x, training=True):
        self._skeleton.train(training)
        run = vmap(self._call, in_dims=(0, 0, None), randomness="different")
        return run(self.params, self.buffers, x)

    def state_dicts(self):
        return {
            name: tensor.detach().cpu().contiguous()
            for name, tensor in {**self.params, **self.buffers}.items()
        }
