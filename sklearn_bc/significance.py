"""Paired tests of difference between models scored on the same rows.

Two models predicted on the same test rows are paired observations: the rows
both get right, or both wrong, say nothing about which one is better. Only the
discordant rows do, and under the null hypothesis that neither model is better
each discordant row falls on either side with probability 1/2. The exact
McNemar test is the binomial test of that hypothesis on the discordant counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._label_checks import _check_compatibility_inputs

__all__ = ["PairedTestResult", "mcnemar_test", "negative_flip_test"]

_ALTERNATIVES = ("two-sided", "greater", "less")


@dataclass(frozen=True)
class PairedTestResult:
    """The outcome of an exact paired test on discordant rows.

    Attributes
    ----------
    statistic : int
        Discordant rows in favour of the first model (see each test).
    n_discordant : int
        All discordant rows: ``statistic`` plus those in favour of the second.
    pvalue : float
        Probability, under the null hypothesis (each discordant row is on
        either side with probability 1/2), of a count at least as extreme as
        ``statistic`` in the direction of ``alternative``. 1.0 when there is
        no discordant row (no evidence either way).
    alternative : str
        ``"two-sided"``, ``"greater"`` or ``"less"``.
    """

    statistic: int
    n_discordant: int
    pvalue: float
    alternative: str


def _check_alternative(alternative):
    if alternative not in _ALTERNATIVES:
        raise ValueError(
            f"alternative must be one of {list(_ALTERNATIVES)}; got {alternative!r}."
        )
    return alternative


def _exact_binomial_test(k, n, alternative):
    """p-value of ``k`` successes in ``n`` fair coin flips."""
    from scipy.stats import binomtest

    if n == 0:
        return 1.0
    return float(binomtest(int(k), int(n), 0.5, alternative=alternative).pvalue)


def mcnemar_test(y_true, y_ref, y_pred, *, alternative="two-sided"):
    """Exact McNemar test of whether h2 is more (or less) accurate than h1.

    The discordant rows are the update's flips: positive flips (h1 wrong, h2
    right; their count is ``statistic``) and negative flips (h1 right, h2
    wrong). Under the null hypothesis that h1 and h2 are equally accurate on
    the population the rows were drawn from, each flip is positive with
    probability 1/2, so ``statistic`` is binomial with ``n_discordant`` trials.
    ``accuracy(h2) - accuracy(h1) = (positive - negative flips) / n``.

    The test assumes the rows are independent draws from the population of
    interest, and that neither model was chosen or trained on them (a test
    set, not the training or validation rows). Rows count once each: the
    exact test has no place for sample weights.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_ref : array-like of shape (n_samples,)
        Labels predicted by the reference model h1.
    y_pred : array-like of shape (n_samples,)
        Labels predicted by the new model h2.
    alternative : {"two-sided", "greater", "less"}, default="two-sided"
        ``"greater"``: h2 is more accurate than h1 (more positive than
        negative flips); ``"less"``: h2 is less accurate.

    Returns
    -------
    result : PairedTestResult
        ``statistic`` is the number of positive flips.

    See Also
    --------
    negative_flip_test : Do two candidate updates make different numbers of
        new errors?

    Examples
    --------
    >>> from sklearn_bc import mcnemar_test
    >>> y_true = [0, 0, 0, 0, 0, 0, 1, 1]
    >>> y_ref  = [1, 1, 1, 0, 0, 0, 1, 1]  # wrong on rows 0-2
    >>> y_pred = [0, 0, 0, 0, 0, 0, 1, 0]  # fixes them, breaks row 7
    >>> result = mcnemar_test(y_true, y_ref, y_pred, alternative="greater")
    >>> result.statistic, result.n_discordant
    (3, 4)
    >>> result.pvalue  # P(X >= 3) for X ~ Binomial(4, 1/2) = 5/16
    0.3125
    """
    alternative = _check_alternative(alternative)
    ref_right, new_right, _ = _check_compatibility_inputs(y_true, y_ref, y_pred)
    positive = int(np.count_nonzero(~ref_right & new_right))
    negative = int(np.count_nonzero(ref_right & ~new_right))
    n = positive + negative
    return PairedTestResult(
        positive, n, _exact_binomial_test(positive, n, alternative), alternative
    )


def negative_flip_test(y_true, y_ref, y_pred_a, y_pred_b, *, alternative="two-sided"):
    """Exact paired test of whether candidate A makes fewer new errors than B.

    Both candidates update the same reference h1 and are scored on the same
    rows. A row is a negative flip of a candidate when h1 gets it right and
    the candidate wrong. Rows both candidates flip, or neither, are
    uninformative; the discordant rows are those only A flips (their count is
    ``statistic``) and those only B flips. Under the null hypothesis that A
    and B have the same negative flip rate, each discordant row is A's with
    probability 1/2: McNemar's test on the negative flips.
    ``NFR(A) - NFR(B) = (only A - only B) / n``.

    It assumes what :func:`mcnemar_test` assumes: independent rows that
    neither candidate was chosen or trained on, each counted once.
    Comparing many candidates this way calls for a multiple-testing
    correction (e.g. Holm's) on the p-values.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_ref : array-like of shape (n_samples,)
        Labels predicted by the reference model h1.
    y_pred_a, y_pred_b : array-like of shape (n_samples,)
        Labels predicted by candidates A and B.
    alternative : {"two-sided", "greater", "less"}, default="two-sided"
        ``"less"``: A makes fewer negative flips than B; ``"greater"``: more.

    Returns
    -------
    result : PairedTestResult
        ``statistic`` is the number of rows only A flips.

    See Also
    --------
    mcnemar_test : Is h2 more accurate than h1?

    Examples
    --------
    >>> from sklearn_bc import negative_flip_test
    >>> y_true = [0, 0, 0, 0, 1, 1]
    >>> y_ref  = [0, 0, 0, 0, 1, 1]  # right everywhere
    >>> y_a    = [0, 0, 0, 0, 1, 0]  # breaks row 5
    >>> y_b    = [1, 1, 1, 0, 1, 0]  # breaks rows 0-2 and 5
    >>> result = negative_flip_test(y_true, y_ref, y_a, y_b, alternative="less")
    >>> result.statistic, result.n_discordant  # row 5 is flipped by both
    (0, 3)
    >>> result.pvalue  # P(X <= 0) for X ~ Binomial(3, 1/2) = 1/8
    0.125
    """
    alternative = _check_alternative(alternative)
    ref_right, a_right, _ = _check_compatibility_inputs(y_true, y_ref, y_pred_a)
    _, b_right, _ = _check_compatibility_inputs(y_true, y_ref, y_pred_b)
    flip_a = ref_right & ~a_right
    flip_b = ref_right & ~b_right
    only_a = int(np.count_nonzero(flip_a & ~flip_b))
    only_b = int(np.count_nonzero(flip_b & ~flip_a))
    n = only_a + only_b
    return PairedTestResult(
        only_a, n, _exact_binomial_test(only_a, n, alternative), alternative
    )
