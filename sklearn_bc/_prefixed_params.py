"""``module__*``, ``optimizer__*`` and ``iterator_train__*`` as estimator parameters.

skorch routes prefixed keyword arguments to its components; an estimator
that is not a skorch net but builds one (the CV class) stores them as
attributes, as given, so ``get_params``, ``set_params`` and ``clone`` carry
them along, and checks them in ``fit``, as scikit-learn does.
"""

from __future__ import annotations

PREFIXES = ("module__", "optimizer__", "iterator_train__")
# DataLoader arguments the sweep sets itself (the same batches for every point)
_OWN_LOADER_ARGS = ("batch_size", "shuffle", "sampler", "batch_sampler", "drop_last")


class PrefixedParamsMixin:
    """Parameters with a component prefix, stored as given in ``__init__``."""

    def _extra_kwargs(self):
        """The ``**kwargs`` given to ``__init__`` (or set since), by name."""
        named = set(self._get_param_names())
        return {
            k: v
            for k, v in vars(self).items()
            if k not in named and not k.startswith("_") and not k.endswith("_")
        }

    def _check_kwargs(self):
        unknown = sorted(k for k in self._extra_kwargs() if not k.startswith(PREFIXES))
        if unknown:
            raise TypeError(
                f"Unexpected parameters {unknown}: only module__*, optimizer__* and "
                "iterator_train__* keyword arguments are accepted."
            )
        own = sorted(
            k for k in self._extra_kwargs()
            if k.startswith("iterator_train__")
            and k.removeprefix("iterator_train__") in _OWN_LOADER_ARGS
        )  # fmt: skip
        if own:
            raise ValueError(
                f"{own} cannot be set: every point of the sweep is trained on the "
                "same batches, set by batch_size and random_state."
            )

    def _iterator_kwargs(self):
        """The ``iterator_train__*`` DataLoader arguments, without the prefix."""
        return {
            k.removeprefix("iterator_train__"): v
            for k, v in self._extra_kwargs().items()
            if k.startswith("iterator_train__")
        }

    def _prefixed(self):
        return {k: v for k, v in self._extra_kwargs().items() if k.startswith(PREFIXES)}

    def get_params(self, deep=True):
        """Get parameters, ``module__*`` and ``optimizer__*`` included."""
        return {**super().get_params(deep=deep), **self._extra_kwargs()}

    def set_params(self, **params):
        """Set parameters, ``module__*`` and ``optimizer__*`` included."""
        prefixed = {k: v for k, v in params.items() if k.startswith(PREFIXES)}
        for name, value in prefixed.items():
            setattr(self, name, value)
        rest = {k: v for k, v in params.items() if k not in prefixed}
        return super().set_params(**rest) if rest else self
