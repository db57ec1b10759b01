"""
Analysis from saved results: no models needed
==============================================

A sweep can take a while; its tidy results are small. Save them once, then
reload them anywhere (a notebook, a colleague's laptop) and draw the
trade-off without any model. Reloading validates the schema: a missing or
mistyped column is a clear error naming it.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from sklearn.linear_model import LogisticRegression

from sklearn_bc import (
    BackwardCompatibleClassifierCV,
    CompatibilityScatterDisplay,
    load_results,
    save_results,
    sweep_results,
)
from sklearn_bc.datasets import load_digits_update
from sklearn_bc.modules import MLPModule

torch.set_num_threads(1)
data = load_digits_update(n_reference=150, label_noise=0.15, random_state=0)
h1 = LogisticRegression(C=0.1, max_iter=2000).fit(data.X_reference, data.y_reference)
sweep = BackwardCompatibleClassifierCV(
    MLPModule,
    h1,
    lambdas=[0.0, 0.5, 1.0],
    module__n_features=64,
    module__n_classes=10,
    optimizer=torch.optim.Adam,
    lr=0.01,
    max_epochs=8,
    batch_size=64,
    random_state=0,
).fit(data.X_train, data.y_train)

folder = Path(tempfile.mkdtemp())
path = save_results(sweep_results(sweep), folder / "sweep.csv")
print("saved", path.name, path.stat().st_size, "bytes")

# %%
# Later, elsewhere: only the file
# -------------------------------
results = load_results(path)
print(
    results[
        [
            "dissonance",
            "lambda_c",
            "mean_test_accuracy",
            "mean_test_btc",
            "mean_test_bec",
        ]
    ]
)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 5))
CompatibilityScatterDisplay.from_results(results, x="btc", ax=ax1)
CompatibilityScatterDisplay.from_results(results, x="bec", ax=ax2)
plt.show()

# %%
# A damaged file is refused with a clear message, and left as it was
# ------------------------------------------------------------------
broken = folder / "broken.csv"
broken.write_text(path.read_text().replace("dissonance", "dissonanse", 1))
try:
    load_results(broken)
except ValueError as error:
    print("refused:", error)
