"""
Three successive updates: how much trust survives a history
============================================================

A model is rarely updated once. Here a digit classifier goes through four
versions: v0, a logistic regression on the first 150 digits, then three
yearly updates v1, v2 and v3, each trained on everything collected so far,
whose newer labels are noisier (15% flipped with a fixed seed). Each update
is compatible enough with its predecessor taken alone, yet the rows a user
learned to trust in v0 may erode step by step. :class:`~sklearn_bc.UpdateHistory`
scores every later version against every earlier one, and
:class:`~sklearn_bc.UpdateHistoryDisplay` draws one metric as a heatmap.

The last update, v3, is trained twice: plainly, and with
:class:`~sklearn_bc.BackwardCompatibleUpdate` against v2, to see what the
compatibility loss keeps of the whole history.
"""

# %%
# Four versions of a digit classifier
# -----------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from sklearn_bc import (
    BackwardCompatibleUpdate,
    UpdateHistory,
    UpdateHistoryDisplay,
    mcnemar_test,
)

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_pool, X_test, y_pool, y_test = train_test_split(
    X, y, test_size=0.3, random_state=0, stratify=y
)
rng = np.random.RandomState(0)
noisy = np.where(rng.rand(len(y_pool)) < 0.15, rng.randint(0, 10, len(y_pool)), y_pool)
noisy[:150] = y_pool[:150]  # the first, carefully labelled sample
ends = {"v0": 150, "v1": 400, "v2": 700, "v3": len(y_pool)}


def train(n_rows, C):
    return LogisticRegression(C=C, max_iter=3000).fit(X_pool[:n_rows], noisy[:n_rows])


models = {"v0": train(ends["v0"], 0.1), "v1": train(ends["v1"], 1.0)}
models["v2"] = train(ends["v2"], 10.0)
plain_v3 = train(ends["v3"], 100.0)
compatible_v3 = BackwardCompatibleUpdate(
    LogisticRegression(C=100.0, max_iter=3000), reference=models["v2"], lambda_c=0.9
).fit(X_pool[: ends["v3"]], noisy[: ends["v3"]])

# %%
# Every version against every earlier one
# ---------------------------------------
# ``pairwise`` has one row per pair; ``trust_kept`` says, for each version k,
# the share of test rows that k and every version after it got right.
predictions = {name: model.predict(X_test) for name, model in models.items()}
plain = UpdateHistory(y_test, {**predictions, "v3": plain_v3.predict(X_test)})
compatible = UpdateHistory(y_test, {**predictions, "v3": compatible_v3.predict(X_test)})
print(plain.pairwise[["earlier", "later", "accuracy_later", "btc", "nfr"]].round(3))
print("trust kept, plain v3:\n", plain.trust_kept.round(3))
print("trust kept, compatible v3:\n", compatible.trust_kept.round(3))

# %%
# Is the compatible v3 really better than v2? McNemar's exact test on the
# positive and negative flips of each last update (test rows, unseen by all).
for name, model in (("plain", plain_v3), ("compatible", compatible_v3)):
    result = mcnemar_test(y_test, predictions["v2"], model.predict(X_test))
    print(
        f"{name} v3 vs v2: {result.statistic} positive flips of "
        f"{result.n_discordant} discordant rows, p = {result.pvalue:.3f}"
    )

# %%
# The history as heatmaps
# -----------------------
# Row: the version updated from; column: the version updated to. The cells just
# above the diagonal are the successive updates, the top-right one the whole
# history v0 -> v3. Brighter is more compatible.
# one colour scale for both panels, so that equal colours are equal values
low = min(np.nanmin(h.matrix("btc").to_numpy()) for h in (plain, compatible))
scale = {"vmin": low, "vmax": 1.0}
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
for ax, history, title in (
    (axes[0], plain, "BTC, plain v3"),
    (axes[1], compatible, "BTC, v3 trained compatibly with v2"),
):
    display = UpdateHistoryDisplay.from_history(
        history, metric="btc", ax=ax, colorbar=False, im_kwargs=scale
    )
    ax.set_title(title)
fig.colorbar(display.im_, ax=axes, label="BTC (backward trust compatibility)")
plt.show()
