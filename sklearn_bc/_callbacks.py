"""Private skorch callbacks."""

from __future__ import annotations

import torch
from skorch.callbacks import Callback


class TorchSeed(Callback):
    """Seed torch's global generator when the net initialises.

    skorch initialises callbacks before the module, so the seed covers the
    module's initial weights and every later draw of the fit (shuffling,
    dropout). Set in the estimator, the seed travels with every clone to
    every joblib or Dask worker: sweeps give the same results on any backend,
    where ``torch.manual_seed`` called in the parent process reaches no
    worker.

    Parameters
    ----------
    seed : int, default=0
    """

    def __init__(self, seed=0):
        self.seed = seed

    def initialize(self):
        """Seed torch (called by skorch before the module is built)."""
        torch.manual_seed(self.seed)
        return super().initialize()
