"""
The lambda_c sweep: GridSearchCV, the selection rule and the displays
=====================================================================

Train the new model h2 at several values of ``lambda_c`` with both
dissonances, look at the accuracy/compatibility trade-off and pick a point:
the most accurate candidate whose cross-validated BTC reaches a floor.

The same sweep runs twice: once through scikit-learn's ``GridSearchCV`` (one
fit after the other, the most general route) and once through
:class:`~sklearn_bc.BackwardCompatibleClassifierCV`, which trains every point
at once. Epochs are kept small so the documentation builds quickly.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sklearn_bc import (
    BackwardCompatibleClassifier,
    BackwardCompatibleClassifierCV,
    CompatibilityScatterDisplay,
    ErrorVennDisplay,
    bec_scorer,
    btc_scorer,
    make_compatibility_scorer,
    select_compatible,
    sweep_results,
)
from sklearn_bc.datasets import load_digits_update
from sklearn_bc.modules import MLPModule

torch.set_num_threads(1)
data = load_digits_update(n_reference=150, label_noise=0.15, random_state=0)
h1 = LogisticRegression(C=0.1, max_iter=2000).fit(data.X_reference, data.y_reference)

# %%
# The sweep through GridSearchCV
# ------------------------------
# The compatibility scorers take h1 from the estimator being scored, so each
# fold is scored against h1's predictions on that very fold.
net = BackwardCompatibleClassifier(
    MLPModule,
    reference=h1,
    module__n_features=64,
    module__n_classes=10,
    optimizer=torch.optim.Adam,
    lr=0.01,
    max_epochs=10,
    batch_size=64,
    iterator_train__shuffle=True,
    train_split=None,
    verbose=0,
)
grid = {
    "lambda_c": [0.0, 0.25, 0.5, 0.75, 1.0],
    "dissonance": ["new_error", "strict_imitation"],
}
scoring = {
    "accuracy": "accuracy",
    "btc": btc_scorer,
    "bec": bec_scorer,
    "reference_accuracy": make_compatibility_scorer("reference_accuracy"),
}
cv = StratifiedKFold(3, shuffle=True, random_state=0)
torch.manual_seed(0)
search = GridSearchCV(
    net, grid, scoring=scoring, cv=cv, refit=select_compatible(0.96, score="accuracy")
).fit(data.X_train, data.y_train)
results = sweep_results(search)
print(
    results[
        ["dissonance", "lambda_c", "mean_test_accuracy", "mean_test_btc", "pareto_btc"]
    ]
)
print("chosen:", search.best_params_)

# %%
# The trade-off, and the chosen point's errors
# --------------------------------------------
# The legend sits above the scatter, clear of the error bars (one standard
# deviation over the CV folds); the ring marks the point the rule chose.
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 5.5), layout="constrained")
CompatibilityScatterDisplay.from_cv_results(search, highlight="best", ax=ax1)
ErrorVennDisplay.from_estimator(
    search.best_estimator_, data.X_test, data.y_test, ax=ax2
)
ax2.set_title("chosen h2 vs h1 on the test set")
plt.show()

# %%
# Every point at once
# -------------------
# ``BackwardCompatibleClassifierCV`` trains the ten points of each fold
# together and returns the same kind of ``cv_results_``, so the same tidy
# table, selection rule and displays apply.
fast = BackwardCompatibleClassifierCV(
    MLPModule,
    h1,
    lambdas=grid["lambda_c"],
    cv=cv,
    refit=select_compatible(0.96, score="accuracy"),
    module__n_features=64,
    module__n_classes=10,
    optimizer=torch.optim.Adam,
    lr=0.01,
    max_epochs=10,
    batch_size=64,
    random_state=0,
).fit(data.X_train, data.y_train)
fast_results = sweep_results(fast)
print(fast_results[["dissonance", "lambda_c", "mean_test_accuracy", "mean_test_btc"]])
print("chosen:", fast.best_params_)
test_accuracy = np.mean(fast.predict(data.X_test) == data.y_test)
print(f"test accuracy of the chosen point: {test_accuracy:.3f}")
