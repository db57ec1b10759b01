import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression

from sklearn_bc import BackwardCompatibleClassifier
from sklearn_bc._data import ArrayDataset, move_to_accelerator

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def test_cpu_datasets_stay_where_they_are():
    dataset = ArrayDataset(np.zeros((4, 2), np.float32), np.arange(4))
    X = dataset.X
    assert move_to_accelerator(dataset, "cpu") is dataset
    assert dataset.X is X


@pytest.mark.cuda
@cuda
def test_training_data_moves_to_the_gpu_once_and_fits_like_on_cpu():
    rng = np.random.RandomState(0)
    X = rng.randn(200, 5).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    h1 = LogisticRegression().fit(X[:50], y[:50])
    dataset = ArrayDataset(X, y, np.zeros((200, 2), np.float32), np.ones(200, bool))
    move_to_accelerator(dataset, "cuda")
    assert dataset.X.device.type == "cuda"
    X_batch, y_batch = dataset[[0, 5, 7]]
    assert X_batch.X.device.type == "cuda" and y_batch.device.type == "cuda"
    probas = []
    for device in ("cpu", "cuda"):
        torch.manual_seed(0)
        net = BackwardCompatibleClassifier(
            torch.nn.Linear, reference=h1, module__in_features=5,
            module__out_features=2, train_split=None, max_epochs=3,
            iterator_train__shuffle=False, device=device, verbose=0,
        ).fit(X, y)  # fmt: skip
        probas.append(net.predict_proba(X))
    assert_allclose(probas[0], probas[1], atol=1e-5)
