"""Small torch modules for examples, benchmarks and quick experiments."""

from __future__ import annotations

from torch import nn

__all__ = ["MLPModule"]


class MLPModule(nn.Module):
    """A multi-layer perceptron returning one logit per class.

    Parameters
    ----------
    n_features : int
        Number of input features (inputs of more dimensions are flattened).
    n_classes : int
        Number of output logits.
    hidden : tuple of int, default=(64,)
        Width of each hidden layer (ReLU activations).
    dropout : float, default=0.0
        Dropout probability after each hidden layer.

    Examples
    --------
    >>> import torch
    >>> from sklearn_bc.modules import MLPModule
    >>> MLPModule(64, 10, hidden=(32,))(torch.zeros(5, 64)).shape
    torch.Size([5, 10])
    """

    def __init__(self, n_features, n_classes, hidden=(64,), dropout=0.0):
        super().__init__()
        layers = [nn.Flatten()]
        width = n_features
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, n_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, X):
        """Return the logits of ``X``."""
        return self.layers(X)
