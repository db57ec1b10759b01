"""
Backward-compatible updates of a tabular classifier
====================================================

An old model h1, a logistic regression trained on a small early sample of
scikit-learn's breast-cancer data, is replaced by a new model h2 trained on
all the data collected since, whose labels are noisier (20% of them flipped
with a fixed seed). Trained on those noisy labels, h2 gets wrong many cases
h1 got right: backward trust compatibility (BTC) drops, and here accuracy with
it. :class:`~sklearn_bc.BackwardCompatibleUpdate` trains any learner that
takes ``sample_weight`` with the compatibility loss; ``lambda_c`` trades the
two off.
"""

# %%
# Data: an early sample for h1, noisier data for h2
# --------------------------------------------------
import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_bc import BackwardCompatibleUpdate, btc_score, compatibility_report

# a few hundred rows: one OpenMP thread fits gradient boosting faster than many
threadpool_limits(1)

data = load_breast_cancer(as_frame=True)
X, y = data.data, data.target.to_numpy()
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.4, random_state=0, stratify=y
)
# standardised once, so that h1 and the logistic-regression h2 see the same input
scaler = StandardScaler().set_output(transform="pandas").fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

h1 = LogisticRegression().fit(X_train[:40], y_train[:40])
rng = np.random.RandomState(0)
y_noisy = np.where(rng.rand(len(y_train)) < 0.2, 1 - y_train, y_train)
y_ref = h1.predict(X_test)
print(f"h1 (40 early samples): test accuracy {np.mean(y_ref == y_test):.3f}")

# %%
# A plain update, broken down per class and per tumour-size band
# ---------------------------------------------------------------
# ``lambda_c=0`` is the plain fit. The report shows where the new errors sit:
# per true class and per tertile of the tumour's mean radius.
plain = BackwardCompatibleUpdate(
    HistGradientBoostingClassifier(max_iter=50, random_state=0),
    reference=h1,
    lambda_c=0.0,
).fit(X_train, y_noisy)
radius = X_test["mean radius"]
size_band = pd.qcut(radius, 3, labels=["small", "medium", "large"]).astype(str)
report = compatibility_report(
    y_test, y_ref, plain.predict(X_test), groups=size_band.to_numpy()
)
with pd.option_context(
    "display.precision", 3, "display.width", 140, "display.max_columns", None
):
    print(report)

# %%
# Sweeping lambda_c for two learners
# ----------------------------------
# A higher ``lambda_c`` weights the samples h1 got right more: BTC rises.
learners = {
    "LogisticRegression": LogisticRegression(max_iter=2000),
    "HistGradientBoosting": HistGradientBoostingClassifier(max_iter=50, random_state=0),
}
rows = []
for name, learner in learners.items():
    for lambda_c in [0.0, 0.25, 0.5, 0.75, 1.0]:
        h2 = BackwardCompatibleUpdate(learner, reference=h1, lambda_c=lambda_c)
        y_pred = h2.fit(X_train, y_noisy).predict(X_test)
        rows.append(
            {
                "learner": name,
                "lambda_c": lambda_c,
                "accuracy": np.mean(y_pred == y_test),
                "btc": btc_score(y_test, y_ref, y_pred),
            }
        )
sweep = pd.DataFrame(rows)
with pd.option_context("display.precision", 3):
    print(sweep.to_string(index=False))

# %%
# The trade-off, and where the plain update breaks trust
# ------------------------------------------------------
# Left: test accuracy against test BTC, one marker per fit, lambda_c as
# colour; the dashed line is h1's accuracy. Right: the plain update's BTC per
# tumour-size band with 95% paired bootstrap intervals; the y axis is zoomed
# to the values, as its legend says.
import matplotlib.pyplot as plt

from sklearn_bc import CompatibilityScatterDisplay, GroupCompatibilityDisplay

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 5), layout="constrained")
CompatibilityScatterDisplay(
    x_values=sweep["btc"].to_numpy(),
    y_values=sweep["accuracy"].to_numpy(),
    series=sweep["learner"].to_numpy(),
    lambda_c=sweep["lambda_c"].to_numpy(),
    reference_score=np.mean(y_ref == y_test),
    score_source="test",
).plot(ax=ax1, show_pareto=False)
GroupCompatibilityDisplay.from_predictions(
    y_test,
    y_ref,
    plain.predict(X_test),
    groups=size_band.to_numpy(),
    group_name="Tumour size (tertile of the mean radius)",
    confidence_level=0.95,
    random_state=0,
    ax=ax2,
)
plt.show()
