import hashlib
import pickle

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from torch import nn


def fingerprint(obj):
    """Hash of an object's pickle: any change to a fitted model changes it."""
    return hashlib.sha256(pickle.dumps(obj)).hexdigest()


def torch_state(module):
    """Everything about a torch module that must survive untouched."""
    return {
        "weights": hashlib.sha256(
            b"".join(
                t.detach().cpu().numpy().tobytes() for t in module.state_dict().values()
            )
        ).hexdigest(),
        "modes": [m.training for m in module.modules()],
        "requires_grad": [p.requires_grad for p in module.parameters()],
        "devices": [str(p.device) for p in module.parameters()],
    }


@pytest.fixture(scope="session")
def digits():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    return X[:900], y[:900], X[900:1300], y[900:1300]


@pytest.fixture(scope="session")
def fitted_h1(digits):
    X, y, _, _ = digits
    return LogisticRegression(C=0.05, max_iter=2000).fit(X[:150], y[:150])


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


class FixedInitMLP(nn.Module):
    """float64 MLP whose initial weights do not depend on the global RNG."""

    def __init__(self, n_features=6, n_classes=3, batch_norm=False):
        super().__init__()
        generator = torch.Generator().manual_seed(123)
        layers = [nn.Linear(n_features, 8)]
        if batch_norm:
            layers.append(nn.BatchNorm1d(8))
        layers += [nn.ReLU(), nn.Linear(8, n_classes)]
        self.layers = nn.Sequential(*layers).double()
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=generator, dtype=p.dtype) / 2)

    def forward(self, X):
        return self.layers(X)
