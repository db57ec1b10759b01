"""CompatibilityExplorer: an interactive, self-contained HTML compatibility report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_consistent_length, check_is_fitted

from .._reference import _is_torch_module, reference_outputs
from ._page import iframe, render_page
from ._spec import build_spec
from ._tables import (
    INSTANCE_COLUMNS,
    SPLITS,
    check_table,
    compute_instances,
    compute_tables,
    load_tables,
    save_tables,
)

DEFAULT_MAX_IMAGE_BYTES = 5_000_000

X_NAMES = {"train": "X_train", "test": "X_test"}
SOURCE_KIND = (
    "{name} must be a callable f(instance_id), a sequence with one entry per "
    "row of {X}, or a dict of those by split; got {kind}."
)
SOURCE_LENGTH = (
    "Found input variables with inconsistent numbers of samples: {name} has "
    "{found} entries but {X} has {n} rows; give one entry per row (or a callable)."
)
SOURCE_WITHOUT_SPLIT = "{name} describes the {split} split, but {X} is None."


def _final_step(model):
    return model[-1] if isinstance(model, Pipeline) else model


def _reference_labels(reference, X, classes):
    if _is_torch_module(reference):
        return reference_outputs(reference, X, np.asarray(classes)).labels
    return np.asarray(reference.predict(X))


def _inferred_reference(model):
    """The reference model and the input it sees (after a pipeline's steps)."""
    reference = getattr(_final_step(model), "reference", None)
    if reference is None:
        raise ValueError(
            f"reference is None and the model {type(model).__name__} carries no "
            "reference; pass the fitted reference model h1 as reference=..."
        )
    if isinstance(model, Pipeline):
        head = model[:-1]
        return reference, head.transform
    return reference, None


def _predict_point(model, reference, data, classes):
    """h2's and h1's predictions on each split for one fitted model."""
    predictions = {s: np.asarray(model.predict(X)) for s, (X, _) in data.items()}
    if reference is not None:
        return predictions, None
    h1, transform = _inferred_reference(model)
    ref = {
        s: _reference_labels(h1, X if transform is None else transform(X), classes)
        for s, (X, _) in data.items()
    }
    return predictions, ref


def _fit_predict(estimator, params, data, reference, classes):
    estimator = estimator.set_params(**params)
    X, y = data["train"] if "train" in data else next(iter(data.values()))
    estimator.fit(X, y)
    return _point_params(estimator, None), _predict_point(
        estimator, reference, data, classes
    )


def _point_params(model, key):
    """(label, dissonance, lambda_c) of a model, from its key or its params."""
    if isinstance(key, tuple):
        if len(key) != 2:
            raise ValueError(
                f"A model key must be (dissonance, lambda_c) or a label; got {key!r}."
            )
        dissonance, lambda_c = key
        return f"{dissonance} lambda_c={float(lambda_c):g}", str(dissonance), lambda_c
    params = _final_step(model).get_params(deep=False)
    dissonance = params.get("dissonance", "other")
    lambda_c = params.get("lambda_c", float("nan"))
    label = key if key is not None else f"{dissonance} lambda_c={float(lambda_c):g}"
    return str(label), str(dissonance), float(lambda_c)


def _splits(X_train, y_train, X_test, y_test):
    data = {}
    if X_train is not None:
        check_consistent_length(X_train, y_train)
        data["train"] = (X_train, np.asarray(y_train))
    if X_test is None:
        raise ValueError("X_test and y_test are required.")
    check_consistent_length(X_test, y_test)
    data["test"] = (X_test, np.asarray(y_test))
    return data


def _check_source(source, name, split, n_rows):
    """One split's metadata/image source, as a callable or a positional sequence."""
    if split not in n_rows:
        raise ValueError(
            SOURCE_WITHOUT_SPLIT.format(name=name, split=split, X=X_NAMES[split])
        )
    n, X = n_rows[split]
    if callable(source):
        return source
    if isinstance(source, pd.Series):
        source = source.to_numpy(dtype=object)  # by position, not by index label
    if (
        isinstance(source, str | bytes | bytearray | pd.DataFrame | dict)
        or not hasattr(source, "__len__")
        or not hasattr(source, "__getitem__")
    ):
        raise TypeError(SOURCE_KIND.format(name=name, X=X, kind=type(source).__name__))
    if len(source) != n:
        raise ValueError(SOURCE_LENGTH.format(name=name, found=len(source), X=X, n=n))
    return source


def _per_split(source, name, n_rows):
    """A metadata/image source as {split: source}; a bare one is the test split's.

    ``n_rows`` maps each split of the report to its number of rows and the
    argument holding them; a sequence must have exactly that many entries.
    """
    if source is None:
        return {}
    if not isinstance(source, dict):
        return {"test": _check_source(source, name, "test", n_rows)}
    unknown = sorted(set(source) - set(SPLITS), key=str)
    if unknown:
        raise ValueError(f"{name} keys must be among {list(SPLITS)}; got {unknown}.")
    return {
        split: _check_source(value, f"{name}[{split!r}]", split, n_rows)
        for split, value in source.items()
        if value is not None
    }


def _instance_sources(data, instance_metadata, instance_images):
    """The checked ``{split: source}`` of the metadata and of the images."""
    # from_predictions has labels only: its rows are those of y_true
    n_rows = {
        split: (len(y), "y_true" if X is None else X_NAMES[split])
        for split, (X, y) in data.items()
    }
    return (
        _per_split(instance_metadata, "instance_metadata", n_rows),
        _per_split(instance_images, "instance_images", n_rows),
    )


class CompatibilityExplorer:
    """Interactive compatibility report as one self-contained HTML page.

    Two scatter plots show every candidate model h2 (one point per dissonance
    and lambda_c) by BTC and by BEC against its accuracy, the reference
    model's accuracy as a dashed line; the selected model (``selected``) is
    ringed and chosen when the page opens. Clicking a point shows its scores
    (with confidence intervals where built with ``confidence_level``), an
    error Venn diagram (h1-only errors green, shared yellow, h2-only red,
    drawn as a one-dimensional Venn bar with exact proportions) and its
    incompatible points per class; clicking a Venn region or a class bar
    lists the instances, with optional metadata and images. Filters: data
    split, dissonance and a lambda_c range.

    The page inlines Vega, Vega-Lite and vega-embed (from vl-convert-python)
    and the data: it works offline, can be mailed, and shows inline in
    Jupyter. Build it with :meth:`from_search`, :meth:`from_models` or
    :meth:`from_saved`; the constructor takes the computed tables.

    Parameters
    ----------
    points : pandas.DataFrame
        One row per (point, split): ``point_id``, ``label``, ``dissonance``,
        ``lambda_c``, ``split`` ("train"/"test"), ``n``, ``accuracy``,
        ``reference_accuracy``, ``btc``, ``bec``, ``nfr``, ``pfr``,
        ``n_h1_only``, ``n_both``, ``n_h2_only``; optionally
        ``confidence_level`` and ``{m}_low``, ``{m}_high`` for ``m`` in
        ``accuracy_ref``, ``accuracy``, ``accuracy_diff``, ``btc``, ``bec``,
        ``nfr``, ``pfr`` (NaN where absent: no interval shown).
    errors : pandas.DataFrame
        One row per (point, split, instance) where h1 or h2 is wrong:
        ``point_id``, ``split``, ``instance_id``, ``y_true``, ``y_ref``,
        ``y_pred``.
    classes : array-like
        All class labels, in display order.
    instances : pandas.DataFrame, default=None
        ``split``, ``instance_id``, ``metadata`` (str or None) and ``image``
        (an image data URI, ``data:image/...``, or None) per instance; any
        other image string, a URL included, is a ValueError: the page would
        fetch it.
    title : str, default="Backward compatibility explorer"
    page_size : int, default=20
        Rows per page of the instance table.
    selected : int, str or tuple, default=None
        The selected model (e.g. by a selection rule, or a search's
        ``best_index_``): its ``point_id``, its ``label`` or its
        ``(dissonance, lambda_c)`` key. The page opens
        on it and rings it in both scatter plots. None opens on the first
        point and rings none.

    Attributes
    ----------
    points_, errors_, instances_ : pandas.DataFrame
        The validated tables.
    classes_ : list
    selected_ : int or None
        The ``point_id`` of the selected model.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_bc import CompatibilityExplorer, btc_score
    >>> from sklearn_bc.datasets import load_digits_update
    >>> data = load_digits_update(n_reference=100)
    >>> h1 = LogisticRegression(max_iter=500).fit(data.X_reference, data.y_reference)
    >>> h2 = LogisticRegression(max_iter=500).fit(data.X_train, data.y_train)
    >>> explorer = CompatibilityExplorer.from_models(
    ...     {("new_error", 0.0): h2}, h1,
    ...     data.X_train, data.y_train, data.X_test, data.y_test,
    ...     instance_images=data.images_test,
    ... )
    >>> explorer.points_["split"].tolist()
    ['train', 'test']

    Each row holds that split's scores, as the metric functions compute them:

    >>> test = explorer.points_.query("split == 'test'").iloc[0]
    >>> y_ref, y_pred = h1.predict(data.X_test), h2.predict(data.X_test)
    >>> bool(test["btc"] == btc_score(data.y_test, y_ref, y_pred))
    True
    >>> new_errors = (y_ref == data.y_test) & (y_pred != data.y_test)
    >>> int(test["n_h2_only"]) == int(new_errors.sum())
    True
    >>> explorer.save("report.html")  # doctest: +SKIP
    """

    def __init__(
        self,
        points,
        errors,
        *,
        classes,
        instances=None,
        title="Backward compatibility explorer",
        page_size=20,
        selected=None,
    ):
        self.points_ = check_table(points, "points")
        self.errors_ = check_table(errors, "errors")
        if instances is None:
            instances = pd.DataFrame(
                {c: pd.Series([], dtype=object) for c in INSTANCE_COLUMNS}
            ).astype({"instance_id": int})
        self.instances_ = check_table(instances, "instances")
        self.classes_ = list(classes)
        unknown = set(self.errors_["point_id"]) - set(self.points_["point_id"])
        if unknown:
            raise ValueError(
                f"The errors table names point_id(s) {sorted(unknown)} that the "
                "points table lacks."
            )
        if not isinstance(page_size, int | np.integer) or page_size < 1:
            raise ValueError(
                f"page_size must be a positive integer; got {page_size!r}."
            )
        self.title = title
        self.page_size = int(page_size)
        self.selected_ = self._selected_point(selected)

    def _selected_point(self, selected):
        """The point_id that ``selected`` (a point_id or a label) names."""
        if selected is None:
            return None
        if isinstance(selected, tuple):  # a (dissonance, lambda_c) model key
            selected = _point_params(None, selected)[0]
        ids = self.points_["point_id"]
        if isinstance(selected, int | np.integer) and not isinstance(selected, bool):
            if int(selected) in set(ids):
                return int(selected)
        elif isinstance(selected, str):
            matches = sorted(set(ids[self.points_["label"] == selected]))
            if len(matches) == 1:
                return int(matches[0])
            if len(matches) > 1:
                raise ValueError(
                    f"selected={selected!r} names {len(matches)} points "
                    f"{matches}; pass the point_id instead."
                )
        raise ValueError(
            f"selected must be a point_id in {sorted(set(ids))} or a point's "
            f"label; got {selected!r}."
        )

    # -- builders -------------------------------------------------------------
    @classmethod
    def _from_predictions(
        cls,
        entries,
        data,
        reference,
        *,
        instance_metadata,
        instance_images,
        max_image_bytes,
        confidence_level=None,
        random_state=None,
        **kwargs,
    ):
        truth = {s: y for s, (_, y) in data.items()}
        classes = unique_labels(
            *truth.values(), *(p for _, _, _, preds in entries for p in preds.values())
        )
        metadata, images = _instance_sources(data, instance_metadata, instance_images)
        points, errors = compute_tables(
            entries,
            truth,
            reference,
            confidence_level=confidence_level,
            random_state=random_state,
        )
        instances = compute_instances(errors, metadata, images, max_image_bytes)
        return cls(points, errors, classes=classes, instances=instances, **kwargs)

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_ref,
        predictions,
        *,
        instance_metadata=None,
        instance_images=None,
        max_image_bytes=DEFAULT_MAX_IMAGE_BYTES,
        confidence_level=None,
        random_state=None,
        **kwargs,
    ):
        """Build the report from labels predicted on one test set.

        For models of any framework (or a remote service): only their
        predicted labels are needed.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels of the test set.
        y_ref : array-like of shape (n_samples,)
            Labels predicted by the reference model h1.
        predictions : dict
            ``{label: y_pred}`` or ``{(dissonance, lambda_c): y_pred}``: the
            labels predicted by each candidate h2, one point each.
        instance_metadata, instance_images, max_image_bytes
            As in :meth:`from_models` (for the test split).
        confidence_level, random_state
            As in :meth:`from_models`.
        **kwargs
            ``title``, ``page_size`` and ``selected``, passed to the
            constructor.

        Returns
        -------
        explorer : CompatibilityExplorer

        Examples
        --------
        >>> from sklearn_bc import CompatibilityExplorer
        >>> explorer = CompatibilityExplorer.from_predictions(
        ...     [0, 1, 1, 0], [0, 1, 0, 0], {"h2": [0, 0, 1, 0]}
        ... )
        >>> explorer.points_[["label", "btc", "n_h2_only"]]
          label       btc  n_h2_only
        0    h2  0.666667          1
        """
        if not isinstance(predictions, dict) or not predictions:
            raise ValueError(
                "predictions must be a non-empty dict of candidate name to the "
                "labels it predicts."
            )
        y_true = np.asarray(y_true)
        y_ref = np.asarray(y_ref)
        entries = []
        for key, y_pred in predictions.items():
            y_pred = np.asarray(y_pred)
            if y_pred.shape != y_true.shape or y_ref.shape != y_true.shape:
                raise ValueError(
                    f"predictions[{key!r}] has {y_pred.shape[0]} labels and y_ref "
                    f"{y_ref.shape[0]}, but y_true has {y_true.shape[0]}."
                )
            if isinstance(key, tuple):
                label, dissonance, lambda_c = _point_params(None, key)
            else:
                label, dissonance, lambda_c = str(key), "other", float("nan")
            entries.append((label, dissonance, lambda_c, {"test": y_pred}))
        return cls._from_predictions(
            entries,
            {"test": (None, y_true)},
            {"test": y_ref},
            instance_metadata=instance_metadata,
            instance_images=instance_images,
            max_image_bytes=max_image_bytes,
            confidence_level=confidence_level,
            random_state=random_state,
            **kwargs,
        )

    @classmethod
    def from_models(
        cls,
        models,
        reference,
        X_train,
        y_train,
        X_test,
        y_test,
        *,
        instance_metadata=None,
        instance_images=None,
        max_image_bytes=DEFAULT_MAX_IMAGE_BYTES,
        confidence_level=None,
        random_state=None,
        **kwargs,
    ):
        """Build the report from fitted models.

        Parameters
        ----------
        models : dict
            ``{(dissonance, lambda_c): fitted_model}`` or ``{label:
            fitted_model}`` (dissonance and lambda_c then read from the model's
            parameters, or ``"other"`` and NaN).
        reference : fitted classifier or None
            The reference model h1, applied to ``X_train`` and ``X_test``. None
            takes each model's ``reference`` parameter (after a pipeline's
            preprocessing steps).
        X_train, y_train : array-like or None
            The training split (None leaves it out of the report).
        X_test, y_test : array-like
            The testing split.
        instance_metadata : callable, sequence or dict, default=None
            A string per instance: ``f(instance_id) -> str`` or a sequence
            indexed by instance id (the row in ``X_test``; a pandas Series is
            read by position), with exactly one entry per row, else a
            ValueError names it and both lengths. A bare one describes the
            testing split; ``{"train": ..., "test": ...}`` describes both.
        instance_images : callable, sequence or dict, default=None
            An image per instance, like ``instance_metadata``: a 2-d (grey) /
            3-d (RGB[A]) array, e.g. ``load_digits_update().images_test``, PNG
            bytes (both embedded as PNG data URIs) or an image data URI
            (``data:image/...``). Anything else, a URL or a file name
            included, is a ValueError naming ``instance_images``: the page
            never fetches anything.
        max_image_bytes : int, default=5_000_000
            Cap on the total size of the embedded images; a ValueError
            naming it is raised beyond.
        confidence_level : float in (0, 1), default=None
            Adds paired bootstrap confidence intervals of every score of
            every point and split (from
            :func:`~sklearn_bc.compatibility_report`), shown in the chosen
            point's table as ``0.985 [0.974, 0.993]``. Where a split has too
            few rows for one, the score is shown alone, with a warning.
        random_state : int, RandomState instance or None, default=None
            Seeds the bootstrap, for reproducible intervals.
        **kwargs
            ``title``, ``page_size`` and ``selected``, passed to the
            constructor.

        Returns
        -------
        explorer : CompatibilityExplorer
        """
        if not isinstance(models, dict) or not models:
            raise ValueError("models must be a non-empty dict of fitted models.")
        data = _splits(X_train, y_train, X_test, y_test)
        _instance_sources(data, instance_metadata, instance_images)  # fail early
        truth = np.concatenate([y for _, y in data.values()])
        entries, references = [], []
        ref = None
        if reference is not None:
            ref = {
                s: _reference_labels(reference, X, unique_labels(truth))
                for s, (X, _) in data.items()
            }
        for key, model in models.items():
            check_is_fitted(model)
            label, dissonance, lambda_c = _point_params(model, key)
            predictions, point_ref = _predict_point(
                model, reference, data, unique_labels(truth)
            )
            entries.append((label, dissonance, lambda_c, predictions))
            references.append(point_ref if ref is None else ref)
        return cls._from_predictions(
            entries,
            data,
            references if ref is None else ref,
            instance_metadata=instance_metadata,
            instance_images=instance_images,
            max_image_bytes=max_image_bytes,
            confidence_level=confidence_level,
            random_state=random_state,
            **kwargs,
        )

    @classmethod
    def from_search(
        cls,
        search,
        X_train,
        y_train,
        X_test,
        y_test,
        *,
        reference=None,
        n_jobs=None,
        instance_metadata=None,
        instance_images=None,
        max_image_bytes=DEFAULT_MAX_IMAGE_BYTES,
        confidence_level=None,
        random_state=None,
        **kwargs,
    ):
        """Build the report from a fitted grid search over a compatible classifier.

        Every candidate of ``search.cv_results_["params"]`` is refit once on
        the training data, in parallel through :class:`joblib.Parallel` (any
        joblib backend works, Dask included), and predicts both splits.

        Parameters
        ----------
        search : fitted GridSearchCV or RandomizedSearchCV
            Over a :class:`~sklearn_bc.BackwardCompatibleClassifier` or a
            ``Pipeline`` ending in one.
        X_train, y_train, X_test, y_test : array-like
            The splits; the candidates are refit on the training split.
        reference : fitted classifier, default=None
            h1 applied to the raw input; None takes the estimator's
            ``reference`` (applied after a pipeline's preprocessing steps).
        n_jobs : int, default=None
            Parallel refits (joblib semantics).
        instance_metadata, instance_images, max_image_bytes
            As in :meth:`from_models`.
        confidence_level, random_state
            As in :meth:`from_models`.
        **kwargs
            ``title``, ``page_size`` and ``selected`` (a ``point_id``, the
            index of the candidate in ``cv_results_["params"]``, or a label),
            passed to the constructor. ``selected`` defaults to the search's
            ``best_index_`` where it has one (``refit`` set).

        Returns
        -------
        explorer : CompatibilityExplorer
        """
        check_is_fitted(search, "cv_results_")
        if X_train is None:
            raise ValueError("from_search refits on X_train, which must be given.")
        data = _splits(X_train, y_train, X_test, y_test)
        _instance_sources(data, instance_metadata, instance_images)  # before refits
        classes = unique_labels(*(y for _, y in data.values()))
        ref = None
        if reference is not None:
            ref = {
                s: _reference_labels(reference, X, classes)
                for s, (X, _) in data.items()
            }
        results = Parallel(n_jobs=n_jobs)(
            delayed(_fit_predict)(clone(search.estimator), params, data, ref, classes)
            for params in search.cv_results_["params"]
        )
        entries = [
            (label, dissonance, lambda_c, predictions)
            for (label, dissonance, lambda_c), (predictions, _) in results
        ]
        references = ref if ref is not None else [r for _, (_, r) in results]
        best = getattr(search, "best_index_", None)
        if best is not None:
            kwargs.setdefault("selected", int(best))
        return cls._from_predictions(
            entries,
            data,
            references,
            instance_metadata=instance_metadata,
            instance_images=instance_images,
            max_image_bytes=max_image_bytes,
            confidence_level=confidence_level,
            random_state=random_state,
            **kwargs,
        )

    @classmethod
    def from_saved(cls, path, **kwargs):
        """Read what :meth:`save_data` wrote; no model is needed.

        A missing, mistyped or unreadable table raises a ValueError naming it,
        and so does a table with fewer or more rows than the manifest records,
        or a manifest naming a table file outside the folder (an absolute path
        or one with ``..``); nothing on disk is modified.

        Parameters
        ----------
        path : str or Path
            The folder written by :meth:`save_data`.
        **kwargs
            ``title``, ``page_size`` and ``selected``, passed to the
            constructor.
        """
        tables, classes = load_tables(path)
        return cls(
            tables["points"],
            tables["errors"],
            classes=classes,
            instances=tables["instances"],
            **kwargs,
        )

    # -- outputs ----------------------------------------------------------------
    def save_data(self, path):
        """Write the tables (parquet, or CSV without pyarrow) and a JSON manifest.

        Parameters
        ----------
        path : str or Path
            A folder, created if missing.

        Returns
        -------
        path : Path
        """
        tables = {
            "points": self.points_,
            "errors": self.errors_,
            "instances": self.instances_,
        }
        return save_tables(path, tables, self.classes_)

    def to_dict(self):
        """The Vega-Lite specification of the page, data inlined."""
        return build_spec(
            self.points_,
            self.errors_,
            self.instances_,
            self.classes_,
            title=self.title,
            page_size=self.page_size,
            selected=self.selected_,
        )

    def to_html(self, *, renderer="svg"):
        """The self-contained page as a string.

        Parameters
        ----------
        renderer : {"svg", "canvas"}, default="svg"
            Vega's renderer; SVG keeps marks addressable (tests, screen readers).
        """
        if renderer not in ("svg", "canvas"):
            raise ValueError(f"renderer must be 'svg' or 'canvas'; got {renderer!r}.")
        return render_page(self.to_dict(), title=self.title, renderer=renderer)

    def save(self, path, *, renderer="svg"):
        """Write the self-contained HTML page to ``path``; return the path."""
        path = Path(path)
        path.write_text(self.to_html(renderer=renderer), encoding="utf-8")
        return path

    def _repr_html_(self):
        # an iframe keeps the page's scripts and styles apart from the notebook's
        return iframe(self.to_html(), height=1350)
