"""Small torch modules for examples, benchmarks and quick experiments."""

from __future__ import annotations

from torch import nn

__all__ = ["ConvNetModule", "MLPModule", "ResNetModule"]


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


# side of the feature map the conv net's head sees, whatever the image size
_CONV_POOLED = 4


class ConvNetModule(nn.Module):
    """A small convolutional network returning one logit per class.

    One block per entry of ``channels`` (a 3x3 convolution, ReLU and a 2x2
    max pooling), then an adaptive average pooling to a 4x4 map and a linear
    head. The pooling makes the head independent of the image size: the same
    module takes 28x28 digits, 32x32 photographs or 8x8 thumbnails.

    Parameters
    ----------
    in_channels : int, default=1
        Channels of the input images (1 for grey, 3 for RGB).
    n_classes : int, default=10
        Number of output logits.
    channels : tuple of int, default=(16, 32)
        Output channels of each convolutional block.

    See Also
    --------
    ResNetModule : A small residual network with batch normalisation.
    MLPModule : For flat feature vectors.

    Examples
    --------
    >>> import torch
    >>> from sklearn_bc.modules import ConvNetModule
    >>> net = ConvNetModule(in_channels=1, n_classes=10, channels=(8, 16))
    >>> net(torch.zeros(5, 1, 28, 28)).shape
    torch.Size([5, 10])
    >>> net(torch.zeros(2, 1, 8, 8)).shape  # any image size
    torch.Size([2, 10])
    """

    def __init__(self, in_channels=1, n_classes=10, channels=(16, 32)):
        super().__init__()
        layers = []
        width = in_channels
        for size in channels:
            # ceil_mode keeps a 1-pixel map at 1 pixel, so tiny images pass too
            layers += [
                nn.Conv2d(width, size, 3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(2, ceil_mode=True),
            ]
            width = size
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(_CONV_POOLED)
        self.head = nn.Linear(width * _CONV_POOLED**2, n_classes)

    def forward(self, X):
        """Return the logits of the images ``X`` (batch, channels, height, width)."""
        return self.head(self.pool(self.features(X)).flatten(1))


class _ResidualBlock(nn.Module):
    """Two 3x3 conv + BatchNorm layers around an identity or 1x1 shortcut."""

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, stride, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
        )
        if stride == 1 and in_channels == out_channels:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )
        self.relu = nn.ReLU()

    def forward(self, X):
        return self.relu(self.body(X) + self.shortcut(X))


class ResNetModule(nn.Module):
    """A small residual network with batch normalisation, one logit per class.

    A stem (a 3x3 convolution, BatchNorm and ReLU, ``width`` channels), then
    ``n_blocks`` residual blocks (two 3x3 convolutions with BatchNorm): the
    first keeps the width and an identity shortcut, each later one doubles
    the channels and halves the resolution, with a 1x1 convolution and
    BatchNorm as its shortcut, as in the CIFAR ResNets. A global average
    pooling and a linear head follow, so any image size is accepted.

    Parameters
    ----------
    in_channels : int, default=1
        Channels of the input images (1 for grey, 3 for RGB).
    n_classes : int, default=10
        Number of output logits.
    width : int, default=16
        Channels of the stem and of the first block.
    n_blocks : int, default=2
        Number of residual blocks (at least 1).

    See Also
    --------
    ConvNetModule : A plain conv net, without batch normalisation.

    Notes
    -----
    The BatchNorm layers keep running statistics, used in evaluation mode
    (``predict``). Training mode normalises each batch by its own statistics,
    so batches of one image cannot be trained on.

    Examples
    --------
    >>> import torch
    >>> from sklearn_bc.modules import ResNetModule
    >>> net = ResNetModule(in_channels=1, n_classes=10, width=8, n_blocks=2)
    >>> net(torch.zeros(5, 1, 28, 28)).shape
    torch.Size([5, 10])
    >>> sum(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    6
    """

    def __init__(self, in_channels=1, n_classes=10, width=16, n_blocks=2):
        super().__init__()
        if int(n_blocks) < 1:
            raise ValueError(f"n_blocks must be at least 1; got {n_blocks!r}.")
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
        )
        blocks = [_ResidualBlock(width, width, stride=1)]
        channels = width
        for _ in range(int(n_blocks) - 1):
            blocks.append(_ResidualBlock(channels, 2 * channels, stride=2))
            channels *= 2
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(channels, n_classes)

    def forward(self, X):
        """Return the logits of the images ``X`` (batch, channels, height, width)."""
        return self.head(self.pool(self.blocks(self.stem(X))).flatten(1))
