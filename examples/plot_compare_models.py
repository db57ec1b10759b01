"""
Compare two models you already have
===================================

No training with a compatibility loss is needed to *measure* an update: any
two fitted classifiers, an old one h1 and a candidate h2, can be compared on
held-out data. Here h1 is a logistic regression fitted on an early sample of
scikit-learn's digits, and h2 a random forest fitted on all the training
data. The comparison answers three questions: how much of h1's correct
behaviour survives (BTC), how many of h2's errors are new (BEC and the error
Venn diagram), and where the new errors are (per class).
"""

# %%
# Two fitted models
# -----------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from sklearn_bc import (
    ErrorVennDisplay,
    IncompatibilityHistogramDisplay,
    compatibility_report,
)
from sklearn_bc.datasets import load_digits_update

data = load_digits_update(n_reference=200)  # scikit-learn's digits, offline
h1 = LogisticRegression(max_iter=1000).fit(data.X_reference, data.y_reference)
h2 = RandomForestClassifier(n_estimators=50, random_state=0)
h2.fit(data.X_train, data.y_train)
y_ref, y_pred = h1.predict(data.X_test), h2.predict(data.X_test)

# %%
# The report: overall and per class
# ---------------------------------
# :func:`~sklearn_bc.compatibility_report` is a tidy DataFrame. ``new_errors``
# counts the incompatible points (h1 right, h2 wrong), ``fixed_errors`` the
# opposite; the accuracy gain is their difference divided by ``n``.
report = compatibility_report(data.y_test, y_ref, y_pred)
with pd.option_context(
    "display.precision", 3, "display.width", 140, "display.max_columns", None
):
    print(report.to_string(index=False))

# %%
# Where the errors overlap
# ------------------------
# Green: errors h1 made and h2 fixed; yellow: errors both make; red: new
# errors of h2. ``from_estimator`` needs the reference passed explicitly here,
# since a random forest has no ``reference`` attribute.
fig, (ax_venn, ax_hist) = plt.subplots(1, 2, figsize=(11, 4.5))
ErrorVennDisplay.from_estimator(h2, data.X_test, data.y_test, reference=h1, ax=ax_venn)
IncompatibilityHistogramDisplay.from_predictions(data.y_test, y_ref, y_pred, ax=ax_hist)
fig.tight_layout()

# %%
# The incompatible points themselves
# ----------------------------------
# The images h1 classified correctly and h2 does not: the first place to look
# for a data problem or a reason to keep h1's behaviour.
incompatible = np.flatnonzero((y_ref == data.y_test) & (y_pred != data.y_test))
shown = incompatible[:8]
fig, axes = plt.subplots(1, max(len(shown), 1), figsize=(1.4 * max(len(shown), 1), 2))
for ax, i in zip(np.atleast_1d(axes), shown, strict=False):
    ax.imshow(data.images_test[i], cmap="gray_r")
    ax.set_title(f"true {data.y_test[i]}\nh2: {y_pred[i]}", fontsize=9)
for ax in np.atleast_1d(axes):
    ax.set_axis_off()
fig.suptitle(f"{len(incompatible)} incompatible test images (first 8)")
fig.tight_layout()
plt.show()
