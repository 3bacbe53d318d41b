"""Exercises come from one source: solutions/ex*.md with nbgrader markers.

The checks reject the typical wrong answers listed in WRONG (each with its own
message), turn malformed answers into feedback, never show their code or reference
values, and refuse the library function an exercise asks the learner to write.
"""

import inspect
import itertools
import math
import re
import traceback
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

import convexnn_lab as cl
from convexnn_lab.grading import CHECKS, NOT_ANSWERED, Feedback, release_notebook
from convexnn_lab.grading._registry import register

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "solutions").glob("ex*.md"))
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def test_every_chapter_has_exercises():
    chapters = sorted(p.stem[:2] for p in (ROOT / "book").glob("[0-9][0-9]_*.md"))
    assert chapters, "no chapters found"
    assert [p.stem[2:4] for p in SOURCES] == chapters


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_exercises_are_generated_from_solutions(src):
    committed = nbformat.read(ROOT / "exercises" / (src.stem + ".ipynb"), as_version=4)
    fresh = release_notebook(src)
    assert [(c.cell_type, c.source) for c in committed.cells] == \
        [(c.cell_type, c.source) for c in fresh.cells], \
        "exercises/ is stale: run python -m convexnn_lab.grading release"


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_exercise_holds_no_solution_text(src):
    text = src.read_text()
    student = (ROOT / "exercises" / (src.stem + ".ipynb")).read_text()
    for marker in MARKERS:
        assert marker not in student
    hidden = re.findall(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", text, re.DOTALL)
    assert hidden, "no solution regions found"
    for _, block in hidden:
        for line in block.splitlines():
            line = line.strip()
            if len(line) > 12:
                assert line not in student, f"solution line leaked: {line}"



@pytest.mark.slow  # executes each student notebook
@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_unanswered_exercise_fails_every_check_with_the_stub_message(src):
    nb = release_notebook(src)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(ROOT / "exercises")}}).execute()
    checks = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade", False):
            checks += 1
            assert errors and NOT_ANSWERED in errors[0]["evalue"], cell.source
            assert not any(o.output_type == "execute_result" for o in cell.outputs)
        elif meta.get("solution", False):  # a prediction's stub raises where it stands
            assert not errors or errors[0]["ename"] == "NotImplementedError", cell.source
        else:
            assert not errors, f"crash outside a check cell: {cell.source[:80]}"
    assert checks >= 4


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_released_cells_are_nbgraders_and_locked(src):
    student = nbformat.read(ROOT / "exercises" / (src.stem + ".ipynb"), as_version=4)
    kinds = {"check": 0, "manual": 0, "prediction": 0}
    for cell in student.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            kinds["check"] += 1
            assert cell.metadata["editable"] is False and cell.metadata["deletable"] is False
            if "prediction)" in cell.source:
                kinds["prediction"] += 1
        elif meta.get("solution") and cell.cell_type == "code":
            assert "# YOUR CODE HERE\n" in cell.source and "raise NotImplementedError()" in cell.source
            assert cell.metadata["deletable"] is False
        elif meta.get("solution"):  # a derivation, graded by hand
            assert meta.get("grade") and meta["points"] >= 2
            assert cell.source == "YOUR ANSWER HERE"
            kinds["manual"] += 1
    assert kinds["manual"] >= 1 and kinds["prediction"] >= 1 and kinds["check"] >= 4, kinds
    text = nbformat.writes(student)
    assert "Rubric" not in text
    assert "YOUR CODE HERE" in src.read_text() and "YOUR ANSWER HERE" in src.read_text()


def _raise(exc):
    raise exc


def _relu_loss(w, X, y):
    return 0.5 * np.sum((np.maximum(0, X[:, 0] * w) - y) ** 2)


def _grad(w, X, y, *, sign=1.0, kink=False, chain=True):
    x = X[:, 0]
    z = np.outer(w, x)
    r = np.maximum(0.0, z).sum(axis=0) - y
    mask = (z >= 0) if kink else (z > 0)
    return sign * (mask * (x if chain else 1.0) * r).sum(axis=1)


def _dual(X, y, pred, P, beta, clip=True, scale=True):
    lam0 = y - pred
    worst = np.linalg.norm((P * lam0) @ X, axis=1).max()
    s_max = beta / worst
    if not scale:
        s = 1.0
    elif clip:
        s = np.clip(lam0 @ y / (lam0 @ lam0), 0.0, s_max)
    else:
        s = s_max
    lam = s * lam0
    return lam @ y - 0.5 * lam @ lam


def _ramps(t, order="right-left", transpose=False):
    diff = t[:, None] - t[None, :]
    right, left = np.maximum(diff, 0), np.maximum(-diff, 0)
    if transpose:
        right, left = right.T, left.T
    if order == "left-right":
        return np.hstack([left, right])
    if order == "interleaved":
        return np.stack([right, left], axis=2).reshape(len(t), -1)
    return np.hstack([right, left])


def _to_net(U, V, scale=True, vsign=-1.0):
    cols, outs = [], []
    for block, sign in ((U, 1.0), (V, vsign)):
        for u in block.T:
            r = np.linalg.norm(u)
            if r > 0:
                cols.append(u / np.sqrt(r) if scale else u)
                outs.append(sign * (np.sqrt(r) if scale else 1.0))
    return np.column_stack(cols), np.array(outs)


def _merge(W1, w2, X, by_sign=True, balance=True):
    groups = {}
    for j in range(W1.shape[1]):
        key = (tuple(X @ W1[:, j] >= 0), (w2[j] > 0) if by_sign else True)
        groups[key] = groups.get(key, 0) + W1[:, j] * abs(w2[j]) * (1 if by_sign else np.sign(w2[j]))
    cols, outs = [], []
    for (_, pos), u in groups.items():
        r = np.sqrt(np.linalg.norm(u))
        cols.append(u / r if balance else u)
        outs.append((r if balance else 1.0) * (1 if pos else -1))
    return np.column_stack(cols), np.array(outs)


def _library_merge(W1, w2, X):
    net = cl.TwoLayerNetwork(W1, w2).merge_neurons(X)
    return net.W1, net.w2


def _found(X, P, mode):
    exact = {tuple(p) for p in cl.enumerate_patterns(X)}
    if mode == "rows":
        return len(P) / len(exact)
    if mode == "distinct":
        return len({tuple(p) for p in P}) / len(exact)
    return len({tuple(p) for p in P} & exact) / len(P)


def _cut(W, pairs="upper", best=max):
    n = W.shape[0]
    S = np.array(list(itertools.product((1.0, -1.0), repeat=n)))
    if pairs == "laplacian":
        L = np.diag(W.sum(axis=1)) - W
        return float(best(np.einsum("ki,ij,kj->k", S, L, S)))
    M = np.triu(W, 1) if pairs == "upper" else W
    return float(best(np.sum(M * (s[:, None] != s[None, :])) for s in S))


def _ratio(X, y, b, relu_patterns=None, how="ratio"):
    P = cl.enumerate_patterns(X)
    relu = cl.solve_convex(X, y, b, P if relu_patterns is None else relu_patterns(X),
                           tol=1e-8, progress=False).objective
    gated = cl.solve_convex(X, y, b, P, gated=True, tol=1e-8, progress=False).objective
    return {"ratio": relu / gated, "inverse": gated / relu, "difference": relu - gated}[how]


def _gap(W, L, power=True, factor=True, sign=1.0):
    s = np.linalg.svd(W, compute_uv=False)
    dual = np.sum(s) ** (2 / L) if power else np.sum(s)
    return sign * (L / 2 if factor else 1.0) * (np.sum(s ** (2 / L)) - dual)


def _threshold(y, b, L, compare=True, clip=True):
    if L == 2:
        return max(y - b, 0.0) if clip else y - b
    q = 2 / L - 1
    s0 = (b * -q) ** (1 / (1 - q))
    if s0 + b * s0 ** q >= y:
        return 0.0
    lo, hi = s0, max(y, s0)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if mid + b * mid ** q < y else (lo, mid)
    s = 0.5 * (lo + hi)
    def h(v):
        return 0.5 * (v - y) ** 2 + b * L / 2 * v ** (2 / L)

    return s if (not compare or h(s) < h(0.0)) else 0.0


def _factors(W, L, extra=0, transpose_v=False):
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    r = np.diag(s ** (1 / L))
    return [U @ r] + [r] * (L - 2 + extra) + [r @ (Vt.T if transpose_v else Vt)]


def _exact_net(X, y, b, Xt, relu=True, vsign=-1.0, **kw):
    sol = cl.solve_convex(X, y, b, kw.pop("patterns", cl.enumerate_patterns(X)), **kw)
    if not relu:
        return Xt @ (sol.U - sol.V).sum(axis=1)
    return np.maximum(Xt @ sol.U, 0).sum(1) + vsign * np.maximum(Xt @ sol.V, 0).sum(1)


def _scheme_b(X, y, b, k, inverted=False, scheme_a=False, sigma_k=False, restricted=False):
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    Xk = (U[:, :k] * s[:k]) @ Vt[:k]
    Pk = cl.enumerate_patterns(Xk)
    low = cl.solve_convex(Xk, y, b, Pk).objective
    if scheme_a:
        low = cl.solve_convex(X, y, b, Pk).objective
    best = cl.solve_convex(X, y, b, Pk if restricted else cl.enumerate_patterns(X)).objective
    sigma = s[k - 1] if sigma_k else s[k]
    ratio = best / low if inverted else low / best
    return ratio, (1 + sigma * np.linalg.norm(y) / (2 * b)) ** 4


def _table(X, y, b, W1, w2, factor=0.5, sign=1.0, patterns=None):
    loss = 0.5 * np.sum((np.maximum(X @ W1, 0) @ w2 - y) ** 2)
    loss += factor * b * (np.sum(W1 ** 2) + np.sum(w2 ** 2))
    P = np.unique((X @ W1 >= 0).T, axis=0) if patterns is None else patterns(X)
    return sign * (loss - cl.solve_convex(X, y, b, P).objective)


def _ova(X, labels, c, b, P, gated=True, mean=False, pick=np.argmax, masks=True):
    obj, scores = 0.0, np.zeros((len(labels), c))
    for k in range(c):
        sol = cl.solve_convex(X, (labels == k).astype(float), b, P, gated=gated)
        obj += sol.objective / (c if mean else 1)
        M = P.T if masks else 1.0
        scores[:, k] = np.sum(M * (X @ (sol.U - sol.V)), axis=1)
    return obj, pick(scores, axis=1)


def _planted(X, y, P, cones=True, squared=False, skip=True):
    import cvxpy as cp

    P = P[~P.all(axis=1)]
    d, m = X.shape[1], len(P)
    w0, U, V = cp.Variable(d), cp.Variable((d, m)), cp.Variable((d, m))
    fit = cp.sum(cp.multiply(P.T, X @ (U - V)), axis=1) + (X @ w0 if skip else 0)
    S = np.where(P.T, 1.0, -1.0)
    cons = [fit == y] + ([cp.multiply(S, X @ U) >= 0, cp.multiply(S, X @ V) >= 0] if cones else [])
    if squared:
        obj = cp.sum_squares(w0) + cp.sum_squares(U) + cp.sum_squares(V)
    else:
        obj = cp.norm(w0) + cp.sum(cp.norm(U, 2, axis=0)) + cp.sum(cp.norm(V, 2, axis=0))
    return cp.Problem(cp.Minimize(obj), cons).solve()


def _targets(labels, c, off=-1.0, transpose=False, columns=None):
    labels = np.asarray(labels)
    cols = c if columns is None else columns(labels)
    Y = np.where(labels[:, None] == np.arange(cols), 1.0, off)
    return Y.T if transpose else Y


def _heads(nets, every_column=False, summed=False, order=slice(None)):
    nets = nets[order]
    W1 = np.hstack([net.W1 for net in nets])
    a = np.concatenate([net.w2 for net in nets])
    if summed:
        return cl.TwoLayerNetwork(W1, a)
    if every_column:
        return cl.TwoLayerNetwork(W1, np.tile(a[:, None], (1, len(nets))))
    blocks = np.cumsum([0] + [net.width for net in nets])
    w2 = np.zeros((len(a), len(nets)))
    for c in range(len(nets)):
        w2[blocks[c]:blocks[c + 1], c] = a[blocks[c]:blocks[c + 1]]
    return cl.TwoLayerNetwork(W1, w2)


def _torch_projection(mean, components, scale):
    import torch

    layer = cl.heads.Projection(mean, components, scale).to_torch(torch.float64)
    return layer.weight.detach().numpy(), layer.bias.detach().numpy()


# exercise -> [(typical wrong answer, the words its feedback must contain)]
WRONG = {
    "ex00.q1": [(lambda w, X, y: 2 * _relu_loss(w, X, y), "twice the book"),
                (lambda w, X, y: 0.5 * np.sum((X[:, 0] * w - y) ** 2), "linear neuron"),
                (lambda w, X, y: _relu_loss(w, X, y) / len(y), "average"),
                (lambda w, X, y: 0.5 * np.sum(np.maximum(0, X[:, 0] * w - y) ** 2), "residual"),
                (lambda w, X, y: 1.0, "the loss at w"),
                (lambda w, X, y: cl.landscape.one_neuron_loss(w, X, y), "write yourself")],
    "ex00.q2": [(lambda lam: 1 - lam, "derivative"),
                (lambda lam: 1 - lam / 2, "clipped"),
                (lambda lam: 0.5, "the minimizer for lam"),
                (lambda lam: cl.landscape.product_minimizer(lam), "write yourself")],
    "ex00.q3": [(lambda z: (z, 1.0), "balance"),
                (lambda z: (np.sqrt(abs(z)), np.sqrt(abs(z))), "one factor must be negative"),
                (lambda z: (float("nan") if z < 0 else z ** 0.5,) * 2, "not finite"),
                (lambda z: (z,), "a pair"),
                (lambda z: cl.landscape.product_map(z), "write yourself")],
    "ex00.q4": [(lambda w, X, y: _grad(w, X, y, sign=-1.0), "wrong sign"),
                (lambda w, X, y: 2 * _grad(w, X, y), "twice"),
                (lambda w, X, y: _grad(w, X, y, chain=False), "factor x_j"),
                (lambda w, X, y: _grad(w, X, y, kink=True), "kink"),
                (lambda w, X, y: np.zeros(2), "the gradient at"),
                (lambda w, X, y: cl.landscape.two_neuron_grad(w, X, y), "write yourself")],
    "ex01.q1": [(lambda X, U: (X @ U >= 0).T, "drop duplicates"),
                (lambda X, U: np.unique((X @ U >= 0).T, axis=0).T, "transpose"),
                (lambda X, U: np.unique((X @ U < 0).T, axis=0), "flipped"),
                (lambda X, U: np.unique((X @ U > 0).T, axis=0), ">= 0, not > 0"),
                (lambda X, U: cl.patterns.unique_patterns(cl.patterns.patterns_of_directions(X, U)),
                 "write yourself")],
    "ex01.q2": [(lambda n, r: 2 * sum(math.comb(n, k) for k in range(r)), "C\\(n-1, k\\)"),
                (lambda n, r: sum(math.comb(n - 1, k) for k in range(r)), "half"),
                (lambda n, r: 2 * sum(math.comb(n - 1, k) for k in range(r + 1)), "range\\(r\\)"),
                (lambda n, r: 2 ** n, "2\\^n"),
                (lambda n, r: 8, "not the count"),
                (lambda n, r: cl.patterns.general_position_count(n, r), "write yourself")],
    "ex01.q3": [(lambda t: np.array([t >= c for c in np.sort(t)]), "both directions"),
                (lambda t: np.array([t >= c for c in t] + [t <= c for c in t]), "duplicates"),
                (lambda t: cl.enumerate_patterns(cl.add_bias(t[:, None])), "write yourself")],
    "ex01.q4": [(lambda X, p: True, "every 0/1 vector"),
                (lambda X, p: p.sum() != 1, "you say pattern"),
                (lambda X, p: None, "True or False"),
                (lambda X, p: tuple(p) in {tuple(q) for q in cl.enumerate_patterns(X)},
                 "write yourself")],
    "ex02.q1": [(lambda X, y, b, P, U, V: 0.5 * np.sum((np.sum(P.T * (X @ (U - V)), 1) - y) ** 2)
                 + b * np.sum(U ** 2 + V ** 2), "squared norms"),
                (lambda X, y, b, P, U, V: 0.5 * np.sum((np.sum(P.T * (X @ (V - U)), 1) - y) ** 2)
                 + b * (np.linalg.norm(U, axis=0).sum() + np.linalg.norm(V, axis=0).sum()),
                 "wrong sign"),
                (lambda X, y, b, P, U, V: 0.5 * np.sum(((X @ (U - V)).sum(1) - y) ** 2)
                 + b * (np.linalg.norm(U, axis=0).sum() + np.linalg.norm(V, axis=0).sum()),
                 "masks D_i"),
                (lambda X, y, b, P, U, V: np.sum((np.sum(P.T * (X @ (U - V)), 1) - y) ** 2)
                 + b * (np.linalg.norm(U, axis=0).sum() + np.linalg.norm(V, axis=0).sum()),
                 "factor 1/2"),
                (lambda X, y, b, P, U, V: cl.ConvexProgram(X, y, b, P).objective(U, V),
                 "write yourself")],
    "ex02.q2": [(lambda U, V: _to_net(U, V, scale=False), "objective differs"),
                (lambda U, V: _to_net(U, V, vsign=1.0), "must subtract"),
                (lambda U, V: (np.hstack([U, V]), np.r_[np.ones(U.shape[1]), -np.ones(V.shape[1])]),
                 "nonzero columns"),
                (lambda U, V: _to_net(U, V)[0], "a pair")],
    "ex02.q3": [(lambda X, y, pred, P, beta: _dual(X, y, pred, P, beta, clip=False),
                 "parabola's maximizer"),
                (lambda X, y, pred, P, beta: _dual(X, y, pred, P, beta, scale=False),
                 "without scaling"),
                (lambda X, y, pred, P, beta: _dual(X, y, pred, P, 1e9), "breaks the dual"),
                (lambda X, y, pred, P, beta: 0.0, "the dual lower bound")],
    "ex02.q4": [(lambda X, y, b, Xt: _exact_net(X, y, b, Xt, relu=False), "linear"),
                (lambda X, y, b, Xt: _exact_net(X, y, b, Xt, vsign=1.0), "must subtract"),
                (lambda X, y, b, Xt: _exact_net(X, y, b, Xt, gated=True), "gated-ReLU"),
                (lambda X, y, b, Xt: _exact_net(X, y, b, Xt, patterns=np.ones((1, len(y)), bool)),
                 "all-ones"),
                (lambda X, y, b, Xt: cl.solve_convex(X, y, b, cl.enumerate_patterns(X)).network()
                 .predict(Xt), "write yourself"),
                (lambda X, y, b, Xt: np.zeros(len(Xt)), "predictions at the new points")],
    "ex03.q1": [(lambda X, k: (np.linalg.svd(X, full_matrices=False)[0][:, :k]
                               * np.linalg.svd(X, full_matrices=False)[1][:k]), "coordinates"),
                (lambda X, k: cl.lowrank.low_rank(X, k + 1)[0], "rank"),
                (lambda X, k: cl.lowrank.low_rank(X, k)[0], "write yourself")],
    "ex03.q2": [(lambda s, y, b: (1 + s / (2 * b)) ** 4, "left out \\|\\|y\\|\\|"),
                (lambda s, y, b: (1 + s * y / b) ** 2, "exponent 4 and beta doubled"),
                (lambda s, y, b: (1 + s * y / b) ** 4, "2 beta"),
                (lambda s, y, b: (1 + s * y / (2 * b)) ** 2, "exponent"),
                (lambda s, y, b: 1.0, "the bound for")],
    "ex03.q3": [(lambda Z, p: p.astype(float) @ Z, "-z_i, not 0"),
                (lambda Z, p: np.where(p, -1.0, 1.0) @ Z, "opposite one"),
                (lambda Z, p: Z.sum(axis=0), "the vertex of pattern")],
    "ex03.q4": [(lambda X, y, b, k: (cl.lowrank.low_rank_scheme(X, y, b, k).train_on_low_rank, 1.0),
                 "write yourself"),
                (lambda X, y, b, k: _scheme_b(X, y, b, k, inverted=True), "inverted"),
                (lambda X, y, b, k: _scheme_b(X, y, b, k, scheme_a=True), "scheme A"),
                (lambda X, y, b, k: _scheme_b(X, y, b, k, restricted=True), "every pattern of X"),
                (lambda X, y, b, k: _scheme_b(X, y, b, k, sigma_k=True), "sigma_\\{k\\+1\\}"),
                (lambda X, y, b, k: 1.0, "a pair")],
    "ex04.q1": [(lambda W1, X: W1.shape[1], "count distinct patterns"),
                (lambda W1, X: len(np.unique(X @ W1 >= 0, axis=0)), "transpose"),
                (lambda W1, X: 3, "not the number"),
                (lambda W1, X: len(cl.TwoLayerNetwork(W1, np.ones(W1.shape[1])).patterns(X)),
                 "write yourself")],
    "ex04.q2": [(lambda W1, w2, j: (np.hstack([np.delete(W1, j, 1), 0.5 * W1[:, [j, j]]]),
                                    np.concatenate([np.delete(w2, j), w2[[j, j]]])), "sqrt\\(1/2\\)"),
                (lambda W1, w2, j: (np.hstack([W1, W1[:, [j]]]), np.r_[w2, w2[j]]),
                 "kept neuron j"),
                (lambda W1, w2, j: (np.hstack([W1[:, :j], W1[:, j + 1:], W1[:, [j, j]] / 2 ** .5]),
                                    np.r_[w2[:j], w2[j + 1:], w2[[j, j]] / 2 ** .5])[::-1],
                 "W1 of the returned tuple"),
                (lambda W1, w2, j: (np.hstack([np.delete(W1, 0, 1), W1[:, [0, 0]] / 2 ** .5]),
                                    np.r_[np.delete(w2, 0), w2[[0, 0]] / 2 ** .5]), "keep their order")],
    "ex04.q3": [(lambda W1, w2, X: (W1, w2), "merge every group"),
                (lambda W1, w2, X: _merge(W1, w2, X, by_sign=False), "opposite signs|outputs differ"),
                (lambda W1, w2, X: _merge(W1, w2, X, balance=False), "balance"),
                (lambda W1, w2, X: _library_merge(W1, w2, X), "write yourself")],
    "ex04.q4": [(lambda X, y, b, W1, w2: _table(X, y, b, W1, w2, sign=-1.0), "negative"),
                (lambda X, y, b, W1, w2: _table(X, y, b, W1, w2, factor=1.0), "factor 1/2"),
                (lambda X, y, b, W1, w2: _table(X, y, b, W1, w2, patterns=cl.enumerate_patterns),
                 "every pattern of X"),
                (lambda X, y, b, W1, w2: cl.TwoLayerNetwork(W1, w2).objective(X, y, b)
                 - cl.solve_convex(X, y, b, np.unique((X @ W1 >= 0).T, axis=0)).objective,
                 "write yourself"),
                (lambda X, y, b, W1, w2: cl.stationary.stationarity_report(
                    X, y, b, cl.TwoLayerNetwork(W1, w2)).relative_difference, "write yourself"),
                (lambda X, y, b, W1, w2: 0.0, "the gap")],
    "ex05.q1": [(lambda U: np.array([np.linalg.det(np.delete(U, i, 1)) for i in range(U.shape[1])]),
                 "alternating signs"),
                (lambda U: np.array([(-1) ** (i + 1) * np.linalg.det(np.delete(U, i, 1))
                                     for i in range(U.shape[1])]), "every sign is flipped"),
                (lambda U: cl.generalized_cross_product(U), "write yourself"),
                (lambda U: np.cross(U[0], U[1]), "write yourself")],
    "ex05.q2": [(lambda X, rows: cl.generalized_cross_product(X[: X.shape[1] - 1]), "X\\[rows\\]"),
                (lambda X, rows: np.zeros(X.shape[1]), "zero")],
    "ex05.q3": [(lambda t: _ramps(t, "left-right"), "halves are swapped"),
                (lambda t: _ramps(t, "interleaved"), "interleave"),
                (lambda t: _ramps(t).T, "one row per data point"),
                (lambda t: np.hstack([t[:, None] - t[None, :], t[None, :] - t[:, None]]),
                 "non-negative")],
    "ex05.q4": [(lambda X, P: _found(X, P, "rows"), "rows can repeat"),
                (lambda X, P: _found(X, P, "distinct"), "only those that are patterns"),
                (lambda X, P: _found(X, P, "sample"), "not by the sample size")],
    "ex06.q1": [(lambda labels, k: np.eye(max(labels) + 1)[labels], "number of classes"),
                (lambda labels, k: np.eye(k)[labels].T, "one row per label|one 1"),
                (lambda labels, k: np.eye(k)[np.roll(labels, 1)], "has its 1 in column"),
                (lambda labels, k: np.ones((len(labels), k)), "one 1")],
    "ex06.q2": [(lambda shape, n, rng: cl.patterns.conv_gates(shape, n, rng=rng), "write yourself"),
                (lambda shape, n, rng: np.ones((int(np.prod(shape)), n)), "not one 3x3 patch"),
                (lambda shape, n, rng: np.zeros((n, int(np.prod(shape)))), "transpose")],
    "ex06.q3": [(lambda X, lab, c, b, P: _ova(X, lab, c, b, P, gated=False), "gated=True"),
                (lambda X, lab, c, b, P: _ova(X, lab, c, b, P, mean=True), "averaged"),
                (lambda X, lab, c, b, P: _ova(X, lab, c, b, P, pick=np.argmin), "largest"),
                (lambda X, lab, c, b, P: _ova(X, lab, c, b, P, masks=False), "gates"),
                (lambda X, lab, c, b, P: (_ova(X, lab, c, b, P)[0], np.zeros(len(lab))),
                 "label of training point"),
                (lambda X, lab, c, b, P: (cl.solve_convex(X, np.eye(c)[lab], b, P, gated=True)
                                          .objective, _ova(X, lab, c, b, P)[1]), "write yourself"),
                (lambda X, lab, c, b, P: 1.0, "a pair")],
    "ex07.q1": [(lambda w0, U, w, tol: bool(np.linalg.norm(w0 - w) <= tol * np.linalg.norm(w)),
                 "every other block"),
                (lambda w0, U, w, tol: bool(np.linalg.norm(w0 - w) <= tol
                                            and np.linalg.norm(U, axis=0).max() <= tol),
                 "relative"),
                (lambda w0, U, w, tol: True, "you say True")],
    "ex07.q2": [(lambda X, y, P: _planted(X, y, P, cones=False), "cone constraints"),
                (lambda X, y, P: _planted(X, y, P, squared=True), "not squared"),
                (lambda X, y, P: _planted(X, y, P, skip=False), "skip"),
                (lambda X, y, P: cl.recovery.planted_program(X, y, P).value, "write yourself"),
                (lambda X, y, P: 1.5, "above")],
    "ex07.q3": [(lambda U, V: 3, "count"),
                (lambda U, V: U.shape[1] + V.shape[1], "every block"),
                (lambda U, V: int((np.linalg.norm(U, axis=0) > 1e-7 * max(
                    np.linalg.norm(U, axis=0).max(), np.linalg.norm(V, axis=0).max())).sum()),
                 "blocks of V"),
                (lambda U, V: int((np.linalg.norm(np.hstack([U, V]), axis=0) > 0).sum()),
                 "relative tolerance"),
                (lambda U, V: int((np.linalg.norm(np.hstack([U, V]), axis=0) > 1e-7).sum()),
                 "absolute tolerance")],
    "ex07.q4": [(lambda b, v, t: b[int(np.argmin(v))], "a pair"),
                (lambda b, v, t: (b[int(np.argmin(t))], min(t)), "by the test error"),
                (lambda b, v, t: (b[int(np.argmin(v))], min(t)), "best test error"),
                (lambda b, v, t: (b[int(np.argmin(v))], t[-1]), "at that beta"),
                (lambda b, v, t: (b[int(np.argmin(v))], t[int(np.argmin(v))]), "ties"),
                (lambda b, v, t: (b[int(np.argmax(v))], t[int(np.argmax(v))]), "highest"),
                (lambda b, v, t: (int(np.argmin(v)), t[int(np.argmin(v))]), "index")],
    "ex08.q1": [(lambda W: _cut(W, "all"), "twice"),
                (lambda W: _cut(W, "laplacian"), "divide by 4"),
                (lambda W: float(np.triu(W, 1).sum()), "total weight"),
                (lambda W: _cut(W, best=min), "all signs equal"),
                (lambda W: cl.hardness.max_cut(W)[0], "write yourself"),
                (lambda W: cl.hardness.relu_price(cl.hardness.incidence_data(W),
                                                  np.ones(len(W)))[0] ** 2, "write yourself")],
    "ex08.q2": [(lambda W: cl.hardness.max_cut(W)[0], "square root"),
                (lambda W: 2 * np.sqrt(cl.hardness.max_cut(W)[0]), "h in \\{0,1\\}"),
                (lambda W: cl.hardness.relu_price(W, np.ones(len(W)))[0], "incidence data"),
                (lambda W: 1.0, "the price of lambda = 1")],
    "ex08.q3": [(lambda X, y, b: _ratio(X, y, b, how="inverse"), "p_gated / p\\*"),
                (lambda X, y, b: _ratio(X, y, b, how="difference"), "difference"),
                (lambda X, y, b: _ratio(X, y, b, lambda X: np.ones((1, len(X)), bool)),
                 "every pattern"),
                (lambda X, y, b: cl.relaxation.relaxation_gap(X, y, b).ratio, "write yourself"),
                (lambda X, y, b: 1.0, "p\\* / p_gated \\(n=")],
    "ex08.q6": [(lambda y, lam, b, M: (b / M) * (lam @ y) - 0.5 * (b / M) ** 2 * (lam @ lam),
                 "concave parabola"),
                (lambda y, lam, b, M: lam @ y - 0.5 * lam @ lam, "t = 1"),
                (lambda y, lam, b, M: 1e6, "not a valid lower bound"),
                (lambda y, lam, b, M: cl.certificates.dual_bound(y, lam, np.array([M]), b,
                                                                 "squared")[0],
                 "write yourself")],
    "ex09.q1": [(lambda W, L: _gap(W, L, sign=-1.0), "wrong sign"),
                (lambda W, L: _gap(W, L, power=False), "power 2/L"),
                (lambda W, L: _gap(W, L, factor=False), "factor L/2"),
                (lambda W, L: np.sum(np.linalg.svd(W, compute_uv=False) ** (2 / L)) ** (L / 2)
                 - np.sum(np.linalg.svd(W, compute_uv=False)), "homogeneous"),
                (lambda W, L: cl.deep.deep_linear_gap(W, L)["gap"], "write yourself"),
                (lambda W, L: 0.0, "the gap for L = 3")],
    "ex09.q2": [(lambda y, b, L: max(y - b, 0.0), "soft threshold"),
                (lambda y, b, L: _threshold(y, b, L, compare=False), "compare with s = 0"),
                (lambda y, b, L: _threshold(y, b, L, clip=False), "clip at 0"),
                (lambda y, b, L: cl.deep.regularized_deep_linear(np.array([[y]]), b, L)[0][0, 0],
                 "write yourself"),
                (lambda y, b, L: y, "not a stationary point")],
    "ex09.q3": [(lambda W, L: [W] + [np.eye(W.shape[1])] * (L - 1), "balance the layers"),
                (lambda W, L: _factors(W, L, extra=1), "L weight matrices"),
                (lambda W, L: _factors(W, L, transpose_v=True), "the product W_1"),
                (lambda W, L: W, "a list of L matrices"),
                (lambda W, L: cl.deep.balanced_factors(W, L), "write yourself")],
    "ex10.q1": [(lambda lab, c: _targets(lab, c, off=0.0), "0/1 \\(one-hot\\)"),
                (lambda lab, c: _targets(lab, c, transpose=True), "one row per class"),
                (lambda lab, c: -_targets(lab, c), "signs are swapped"),
                (lambda lab, c: _targets(lab, c, columns=lambda lab: lab.max() + 1),
                 "even for a class with no point"),
                (lambda lab, c: cl.heads.one_vs_rest(lab, c), "write yourself"),
                (lambda lab, c: np.ones((len(lab), c)), "the targets for 25 labels")],
    "ex10.q2": [(lambda nets: _heads(nets, summed=True), "one output"),
                (lambda nets: _heads(nets, every_column=True), "block-diagonal"),
                (lambda nets: _heads(nets, order=slice(None, None, -1)), "network k's output"),
                (lambda nets: _heads(nets[:-1]), "side by side, no more and no fewer"),
                (lambda nets: _heads(nets).W1, "cl.TwoLayerNetwork"),
                (lambda nets: cl.heads.merge_heads(nets), "write yourself")],
    "ex10.q3": [(lambda m, C, s: (C / s, C @ m / s), "wrong sign: the layer subtracts"),
                (lambda m, C, s: (C / s, -C @ m), "bias is not divided by scale"),
                (lambda m, C, s: (C / s, C @ m), "wrong sign and is not divided"),
                (lambda m, C, s: (C.T / s, -C @ m / s), "stores its weight as \\(k, D\\)"),
                (lambda m, C, s: (C, -C @ m / s), "weight is not divided by scale"),
                (lambda m, C, s: (C / s, np.zeros(len(C))), "the bias: your value"),
                (lambda m, C, s: C / s, "a pair \\(weight, bias\\)"),
                (_torch_projection, "write yourself")],
}

PREDICTIONS = {  # exercise -> (the right number, typical wrong predictions)
    "ex00.q6": (0.75, [1.0, 0.5, 0.0]),
    "ex01.q6": (24, [134, 4096, 12]),
    "ex02.q6": (0.625, [0.0, 1.25]),
    "ex03.q6": (1.0, [16.0, 0.0]),
    "ex04.q6": (4, [5, 3]),
    "ex05.q6": (28, [56, 8]),
    "ex06.q5": (27, [9, 3072]),
    "ex07.q6": (1.0, [0.0, 3.0]),
    "ex08.q4": (2, [1, 3, 4, 0]),
    "ex09.q5": (2, [1, 0, 4]),
    "ex10.q5": (16, [48, 3, 32]),
}


def test_every_check_has_typical_wrong_answers():
    functions = {name for name, c in CHECKS.items() if c.kind == "function"}
    values = {name for name, c in CHECKS.items() if c.kind == "value"}
    assert functions <= set(WRONG) and values <= set(PREDICTIONS)
    assert all(len(WRONG[name]) >= 2 for name in functions)


@pytest.mark.parametrize("name,k", [(n, k) for n in WRONG for k in range(len(WRONG[n]))])
def test_typical_wrong_answer_gets_its_own_message(name, k):
    answer, words = WRONG[name][k]
    with pytest.raises(Feedback, match=words) as info:
        cl.grading.check(name, answer)
    assert str(info.value).startswith(name + ": ")


def _answers(src):
    """The names a solution source defines: its first code cell (the imports) and its answer
    cells (nbgrader solution cells that are not check cells), run in order."""
    import jupytext

    code = [c for c in jupytext.read(src).cells if c.cell_type == "code"]
    namespace = {}
    for cell in code[:1] + [c for c in code if c.metadata.get("nbgrader", {}).get("solution")]:
        exec(cell.source, namespace)  # noqa: S102  (the solution source of this repository)
    return namespace


@pytest.mark.parametrize("name,answer", [("ex10.q1", "one_vs_rest_targets"), ("ex10.q2", "merge"),
                                         ("ex10.q3", "projection_layer"),
                                         ("ex10.q5", "prediction")])
def test_ex10_solutions_pass_their_checks(name, answer, capsys):
    namespace = _answers(ROOT / "solutions" / "ex10_convex_heads.md")
    assert cl.grading.check(name, namespace[answer]) is None
    assert capsys.readouterr().out == f"{name}: correct\n"


@pytest.mark.slow  # runs the experiment each prediction is about
@pytest.mark.parametrize("name", sorted(PREDICTIONS))
def test_prediction_is_checked(name, capsys):
    right, wrong = PREDICTIONS[name]
    assert cl.grading.check(name, right) is None
    assert capsys.readouterr().out == f"{name}: correct\n"
    for value in wrong:
        with pytest.raises(Feedback):
            cl.grading.check(name, value)
    with pytest.raises(Feedback, match=NOT_ANSWERED):
        cl.grading.check(name, None)
    with pytest.raises(Feedback, match="should return|prediction is"):
        cl.grading.check(name, "a lot")


MALFORMED = [lambda *a: None, lambda *a: (1, 2, 3), lambda *a: "abc",
             lambda *a: np.full((3, 7, 2), 0.5), lambda *a: float("nan"),
             lambda *a: np.array([np.nan, 1.0]), lambda *a: [[1.0], [2.0, 3.0]],
             lambda *a: {"a": 1}]


@pytest.mark.parametrize("name", sorted(WRONG))
def test_malformed_answers_become_feedback(name):
    for answer in MALFORMED:
        with pytest.raises(Feedback) as info:
            cl.grading.check(name, answer)
        assert str(info.value).startswith(name + ": ")
    with pytest.raises(Feedback, match="pass the function"):
        cl.grading.check(name, 3.0)
    with pytest.raises(Feedback, match=NOT_ANSWERED):
        cl.grading.check(name, lambda *a: _raise(NotImplementedError()))


def _source_lines(module):
    return {line.strip() for line in inspect.getsource(module).splitlines()
            if len(line.strip()) > 25 and not line.strip().startswith(("#", '"', "raise", "def"))}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_feedback_shows_no_check_code(name):
    module = inspect.getmodule(CHECKS[name].grade)
    lines = _source_lines(module)

    def crash(*args):
        raise ValueError("learner bug")

    for answer in [crash] + [a for a, _ in WRONG[name]] + MALFORMED[:3]:
        with pytest.raises(Feedback) as info:
            cl.grading.check(name, answer)
        text = "".join(traceback.format_exception(info.value))
        assert module.__file__ not in text
        assert not [line for line in lines if line in text]
    assert "learner bug" in str(_catch(name, crash))


def _catch(name, answer):
    try:
        cl.grading.check(name, answer)
    except Feedback as exc:
        return exc
    raise AssertionError("no feedback")


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_checks_do_not_hold_the_answers(src):
    """No line of a solution (the answer code) appears in its chapter's checks."""
    module = inspect.getmodule(CHECKS[f"ex{src.stem[2:4]}.q1"].grade)
    checks = {line.strip() for line in inspect.getsource(module).splitlines()}
    solutions = re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", src.read_text(), re.DOTALL)
    for block in solutions:
        for line in block.splitlines():
            line = line.strip()
            if len(line) > 20 and not line.startswith("return cl."):
                assert line not in checks, f"{src.stem}: the check spells out {line!r}"


def test_registry_guards_any_new_check():
    """A check registered later (chapter 08, 09, ...) gets the same guard."""
    from convexnn_lab.grading._registry import Number

    @register("ex99.q1", returns=Number(), forbid=("convexnn_lab.core.patterns:enumerate_patterns",))
    def _ex99(answer):
        X = np.eye(2)
        if answer(X) != 4:
            raise Feedback("count the patterns")

    try:
        assert cl.grading.check("ex99.q1", lambda X: 4) is None
        with pytest.raises(Feedback, match="ex99.q1: your function returned None"):
            cl.grading.check("ex99.q1", lambda X: None)
        with pytest.raises(Feedback, match="write yourself"):
            cl.grading.check("ex99.q1", lambda X: len(cl.enumerate_patterns(X)))
        with pytest.raises(Feedback, match="raised ZeroDivisionError"):
            cl.grading.check("ex99.q1", lambda X: 1 / 0)
    finally:
        del CHECKS["ex99.q1"]


def test_check_returns_none_and_names_unknown_exercises(capsys):
    def choose(b, v, t):
        k = max((i for i in range(len(v)) if v[i] == min(v)), key=lambda i: b[i])
        return b[k], t[k]

    assert cl.grading.check("ex07.q4", choose) is None
    assert capsys.readouterr().out == "ex07.q4: correct\n"
    with pytest.raises(KeyError, match="no exercise called"):
        cl.grading.check("ex42.q1", abs)
