"""Reference values from scipy for scipy-reference.test.ts.

Reads {"cases": [{"kind": ..., ...}, ...]} as JSON on stdin and prints
{"scipy": "<version>", "results": [...]} with one result per case, in order.
Non-finite floats are written as the strings "Infinity", "-Infinity", "NaN"
(JSON has no literal for them). Run with Debian's python3-scipy:

    echo '{"cases": [{"kind": "norm", "x": -1.96}]}' | /usr/bin/python3 scipy-reference.py

Everything statistical comes from scipy.stats; the few lines of arithmetic
around it (means from sums, the Welch-Satterthwaite df, a two-proportion
z statistic, Wilson and delta-method intervals, the mixture likelihood
ratio) are written out here independently of the TypeScript.
"""
import json
import math
import sys

import scipy
from scipy import stats


def num(x):
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def moments(s):
    n, total, sq = s["n"], s["sum"], s["sumOfSquares"]
    mean = total / n
    var = (sq - total * total / n) / (n - 1)
    return n, mean, var


def relative_interval(mean_c, mean_t, var_c, var_t, n_c, n_t, crit):
    r = mean_t / mean_c - 1
    se = math.sqrt(var_t / (n_t * mean_c ** 2) + mean_t ** 2 * var_c / (n_c * mean_c ** 4))
    return [num(r - crit * se), num(r + crit * se)]


def welch(case):
    n_c, m_c, v_c = moments(case["control"])
    n_t, m_t, v_t = moments(case["treatment"])
    res = stats.ttest_ind_from_stats(m_t, math.sqrt(v_t), n_t, m_c, math.sqrt(v_c), n_c, equal_var=False)
    a, b = v_c / n_c, v_t / n_t
    df = (a + b) ** 2 / (a ** 2 / (n_c - 1) + b ** 2 / (n_t - 1))
    crit = stats.t.ppf(1 - case["alpha"] / 2, df)
    d, se = m_t - m_c, math.sqrt(a + b)
    return {
        "statistic": num(res.statistic),
        "pValue": num(res.pvalue),
        "df": num(df),
        "interval": [num(d - crit * se), num(d + crit * se)],
        "relativeInterval": relative_interval(m_c, m_t, v_c, v_t, n_c, n_t, crit),
    }


def ztest(case):
    c, t = case["control"], case["treatment"]
    p_c, p_t = c["successes"] / c["n"], t["successes"] / t["n"]
    pooled = (c["successes"] + t["successes"]) / (c["n"] + t["n"])
    z = (p_t - p_c) / math.sqrt(pooled * (1 - pooled) * (1 / c["n"] + 1 / t["n"]))
    crit = stats.norm.ppf(1 - case["alpha"] / 2)
    se = math.sqrt(p_c * (1 - p_c) / c["n"] + p_t * (1 - p_t) / t["n"])
    d = p_t - p_c
    return {
        "statistic": num(z),
        "pValue": num(2 * stats.norm.sf(abs(z))),
        "interval": [num(d - crit * se), num(d + crit * se)],
        "relativeInterval": relative_interval(p_c, p_t, p_c * (1 - p_c), p_t * (1 - p_t), c["n"], t["n"], crit),
    }


def wilson(case):
    x, n = case["successes"], case["n"]
    z = stats.norm.ppf(1 - case["alpha"] / 2)
    p = x / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return [num(center - half), num(center + half)]


def mean_interval(case):
    n, m, v = moments(case["stats"])
    lo, hi = stats.t.interval(1 - case["alpha"], n - 1, loc=m, scale=math.sqrt(v / n))
    return [num(lo), num(hi)]


def msprt(case):
    # The mixture likelihood ratio in its textbook form, not in logarithms.
    c, t = case["control"], case["treatment"]
    if case["metric"] == "binary":
        n_c, m_c = c["n"], c["successes"] / c["n"]
        n_t, m_t = t["n"], t["successes"] / t["n"]
        v_c, v_t = m_c * (1 - m_c), m_t * (1 - m_t)
    else:
        n_c, m_c, v_c = moments(c)
        n_t, m_t, v_t = moments(t)
    s2 = v_c / n_c + v_t / n_t
    tau2 = case["mixingVariance"] * (v_c + v_t)
    d = m_t - m_c
    lam = math.sqrt(s2 / (s2 + tau2)) * math.exp(tau2 * d * d / (2 * s2 * (s2 + tau2)))
    alpha = case["alpha"]
    half = math.sqrt(s2 * (s2 + tau2) / tau2 * (2 * math.log(1 / alpha) + math.log((s2 + tau2) / s2)))
    return {"pValue": num(min(1.0, 1 / lam)), "interval": [num(d - half), num(d + half)]}


def srm(case):
    observed = case["observed"]
    total, weights = sum(observed), case["weights"]
    expected = [total * w / sum(weights) for w in weights]
    res = stats.chisquare(observed, expected)
    return {"chiSquare": num(res.statistic), "pValue": num(res.pvalue)}


def quantile(dist, p, mine):
    # scipy's quantile, and scipy's probability at the TypeScript quantile
    # (on the smaller tail): a round trip that does not depend on the
    # accuracy of scipy's own quantile.
    tail = dist.cdf(mine) if p < 0.5 else dist.sf(mine)
    return {"ppf": num(dist.ppf(p)), "tailAtMine": num(tail), "tail": num(p if p < 0.5 else 1 - p)}


HANDLERS = {
    "norm": lambda c: {"cdf": num(stats.norm.cdf(c["x"])), "sf": num(stats.norm.sf(c["x"]))},
    "normQuantile": lambda c: quantile(stats.norm, c["p"], c["mine"]),
    "t": lambda c: {"cdf": num(stats.t.cdf(c["x"], c["df"])), "sf": num(stats.t.sf(c["x"], c["df"]))},
    "tQuantile": lambda c: quantile(stats.t(c["df"]), c["p"], c["mine"]),
    "chi2": lambda c: {"cdf": num(stats.chi2.cdf(c["x"], c["df"])), "sf": num(stats.chi2.sf(c["x"], c["df"]))},
    "welch": welch,
    "ztest": ztest,
    "wilson": wilson,
    "meanInterval": mean_interval,
    "msprt": msprt,
    "srm": srm,
}


def main():
    cases = json.load(sys.stdin)["cases"]
    results = [HANDLERS[case["kind"]](case) for case in cases]
    json.dump({"scipy": scipy.__version__, "results": results}, sys.stdout, allow_nan=False)


if __name__ == "__main__":
    main()
