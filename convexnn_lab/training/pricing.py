"""Convex training with no learning rate: pattern pricing, i.e. column generation (chapter 2).

With sampled patterns the program is a restriction of the network problem, and Adam
can end lower.  The right patterns matter more than many: given a restricted solution
with residual lambda = -grad of the loss at its output, a pattern whose cone holds a
direction u with ``|lambda^T sigma(X u)| > beta ||u||`` violates the dual constraint of
the full problem, and adding it lowers the objective.  None existing over **all** u is
exactly the global optimality condition (notation section of chapter 00).

``train_convex`` starts from the patterns of a network trained by L-BFGS (no learning
rate; or from Gaussian patterns, ``warm_network=None``) and repeats: solve the restricted
program, price new patterns, add the best, drop blocks that stayed zero.  Pricing is

* exact when every pattern of X can be enumerated (low rank, few points): the dual
  constraint is evaluated on every pattern, so "no violation" is a certificate of global
  optimality over networks of any width;
* otherwise a search: fixed-point ascent ``u <- X^T (Dt(u) lambda) / ||.||`` from many
  starts (Gaussian directions, hyperplanes through data points, a warm network's
  neurons, and, with cones, the restricted solution's own neurons and two short steps
  from each along its ascent direction: ``neighbor_starts``), for +lambda and -lambda.  A search
  can only find violations: "none found" is reported as such, with the largest ratio
  it saw.

With ``distributed=True`` (chapter 6, "Solve across devices") each rank holds its rows of X,
y and the patterns; the ascent's products ``X^T (Dt(u) lambda)`` and the prices are summed
over the ranks, distinct patterns are told apart by digests gathered from every rank,
and every rank ends with its rows of the same patterns.  Pricing is then the search:
listing every pattern needs all rows on one process.
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass, field

import numpy as np

from .._internal.comm import communicator
from .._internal.validation import (
    check_bool,
    check_device,
    check_positive_int,
    check_seed,
)
from ..core.activations import activate, slopes
from ..core.certificates import cone_correlation, dual_bound, dual_constraints
from ..core.losses import data_loss, loss_parts
from ..core.networks import TwoLayerNetwork
from ..core.patterns import enumerate_patterns, patterns_of_directions, sample_patterns
from ..core.program import ConvexProgram
from ..core.solution import ConvexSolution, kept_blocks
from ..core.verification import price_exact
from ..solvers import Auto, solve_convex
from ..status import (
    INACCURATE,
    MAX_PATTERNS,
    MAX_ROUNDS,
    NO_VIOLATION_FOUND,
    NODE_LIMIT,
    OPTIMAL,
    SLOW_PROGRESS,
    TIME_LIMIT,
)
from .nonconvex import train_nonconvex

__all__ = ["PricingRound", "TrainingReport", "neighbor_starts", "price_patterns", "train_convex"]

# a violation counts when the price is above beta by this relative margin (round-off)
PRICE_RTOL = 1e-4

# the search's hyperplanes through data points go through points of at most this many
# rows (all rows below it; a random subset above, gathered from the ranks when sharded)
CROSS_PRODUCT_ROWS = 2000

# steps along the unit ascent direction from each neuron of the restricted solution, into
# cells its pattern cannot reach (``neighbor_starts``); the best of the steps tried on
# diabetes (bench/beat_adam.py; the objectives per choice: docs/benchmarks.md)
NEIGHBOR_STEPS = (0.1, 0.3)

# pricing="exact" / "auto": the branch and bound's seconds per round when train_convex
# has no time_limit (with one, what is left of it)
EXACT_PRICE_SECONDS = 60.0
PRICINGS = ("search", "exact", "auto")

# train_convex's default warm network: width and L-BFGS iterations; 1000 iterations end
# below the best iterate of Adam's three learning rates on the four sets of
# bench/beat_adam.py, 500 end 10-45% above 1000 (the objectives: docs/benchmarks.md)
WARM_WIDTH = 100
WARM_STEPS = 1000

# train_convex's default budget with the search, a rule that does not depend on the
# machine's speed: the rounds stop ("slow_progress") once a round lowers the objective by
# less than MIN_PROGRESS times it (the first round: against the warm network's).  Each
# round costs more than the last (its program is larger) and the interior point does not
# profit from warm starts, so the rounds after the first that paid less than 1% cost most
# of a run (the measurements behind the rule: docs/benchmarks.md)
MIN_PROGRESS = 1e-2


@dataclass(frozen=True)
class PricingRound:
    """One round of ``train_convex``: the restricted program solved, then priced."""

    round: int
    n_patterns: int
    objective: float
    gap: float
    best_ratio: float  # largest price / beta found (> 1: a violation)
    added: int
    seconds: float  # since the start of train_convex
    solve_seconds: float = 0.0  # this round's restricted program, solved
    price_seconds: float = 0.0  # this round's pricing (the search, or exact pricing)
    # a proven lower bound on the optimum over networks of any width (exact pricing by
    # enumeration or by branch and bound; None after a search, which proves nothing)
    lower_bound: float | None = None
    # M / beta, M a proven upper bound on the price max_u |lambda^T sigma(Xu)| of this
    # round's dual point (exact pricing only): the lower bound's scaling t = beta / M
    price_bound: float | None = None


@dataclass
class TrainingReport:
    """How ``train_convex`` ended.

    Attributes
    ----------
    status : str
        "optimal": exact pricing found no violated pattern to add and the proven global
        gap is within 10 tol (a certificate of global optimality over networks of any
        width, to the solver's tolerance; for gated ReLU, over gated-ReLU models);
        "inaccurate": exact pricing found none to add but the global gap is above 10 tol
        (solve more tightly); "no_violation_found": the search found none (no proof);
        "max_rounds", "max_patterns", "time_limit": a budget stopped it first;
        "slow_progress": the last round lowered the objective by less than
        ``min_progress`` times it (the first round: compared with the warm network's
        objective).
    exact : bool
        Whether the last round's pricing was exact: every pattern of X enumerated, or
        the branch and bound finished (``pricing="exact"`` or ``"auto"``).
    global_gap : float or None
        The last solution's objective minus the best lower bound on the optimum over
        networks of any width that pricing proved (enumeration, or the branch and
        bound's price bound at any status); None after a search only.
    rounds : list of PricingRound
    solution : ConvexSolution
        The last restricted solution (its patterns are the ones chosen).
    warm_network : TwoLayerNetwork or None
        The network whose patterns started the rounds (trained by L-BFGS for
        ``warm_network="lbfgs"``), to compare with.
    warm_objective : float or None
        Its objective on (X, y) with the run's beta and loss (summed over the ranks when
        sharded): the first round's objective is at most this plus that round's
        certified gap, when the network has the run's activation and alpha.
    warm_seconds : float
        Seconds spent training it (counted in every round's ``seconds``).
    phases : dict
        Where the time went: the warm network, the rounds' solves and pricing, the rest
        (each round also keeps its own ``solve_seconds`` and ``price_seconds``).
    """

    status: str
    exact: bool
    rounds: list = field(default_factory=list)
    global_gap: float | None = None  # exact pricing: objective minus a global lower bound
    solution: ConvexSolution | None = field(default=None, repr=False)
    warm_network: TwoLayerNetwork | None = field(default=None, repr=False)
    warm_objective: float | None = None
    warm_seconds: float = 0.0  # spent training the warm network ("lbfgs"), in rounds' times

    @property
    def objective(self) -> float:
        return self.solution.objective

    @property
    def phases(self) -> dict:
        """Where the run's time went, in seconds: ``{"warm_network": ..., "solves": ...,
        "pricing": ..., "other": ...}`` (the rounds' solves and pricing summed; "other" is
        the rest of the last round's ``seconds``: setup, enumeration, bookkeeping)."""
        solves = sum(r.solve_seconds for r in self.rounds)
        pricing = sum(r.price_seconds for r in self.rounds)
        total = self.rounds[-1].seconds if self.rounds else self.warm_seconds
        return {"warm_network": self.warm_seconds, "solves": solves, "pricing": pricing,
                "other": max(0.0, total - self.warm_seconds - solves - pricing)}

    def network(self) -> TwoLayerNetwork:
        """The trained network (for ReLU its objective is ``self.objective`` up to the
        near-zero blocks it drops: see ``ConvexSolution.network``)."""
        return self.solution.network()


def _prices(X, lam, U, activation, alpha, gated, comm):
    """Price of each unit direction (columns of U): ``|lam^T sigma(X u)|`` (ReLU family)
    or ``||X^T Dt(u) lam||`` (gated), shape (k,)."""
    if gated:
        a, b = slopes(activation, alpha)
        Dt = np.where(X @ U >= 0, a, b)
        return np.linalg.norm(comm.sum(X.T @ (Dt * lam[:, None])), axis=0)
    return np.abs(comm.sum(lam @ activate(X @ U, activation, alpha)))


def _cross_product_rows(X, rng, comm):
    """The rows the search's hyperplanes go through: every row up to
    ``CROSS_PRODUCT_ROWS``, else that many drawn at random (the same on every rank)."""
    total = comm.sum(len(X))
    if total <= CROSS_PRODUCT_ROWS:
        return comm.concat_rows(X)
    return comm.take_rows(X, np.sort(rng.choice(total, CROSS_PRODUCT_ROWS, replace=False)))


def neighbor_starts(X, lam, solution, *, steps=NEIGHBOR_STEPS, comm=None):
    """Starting directions of the search from a restricted solution's own neurons.

    For each nonzero block (u_i with sign s = +1, v_i with s = -1) of the program with
    cones: its unit direction w = u_i / ||u_i|| and the steps ``w + t g / ||g||`` for t
    in `steps`, with ``g = X^T (Dt(w) * s lambda)`` the ascent direction of
    ``s lambda^T sigma(X w)`` at w.  For a block strictly inside its cone, g is parallel
    to w (the program's optimality condition ``X^T Dt_i lambda = beta u_i / ||u_i||``)
    and the steps return w; for one that its cone holds on hyperplanes of data points,
    they cross those (and possibly others) into cells that one cone (a fixed pattern)
    cannot reach: those a gradient step on the network would move the neuron into.

    Parameters
    ----------
    X : ndarray of shape (n, d); lam : ndarray of shape (n,)
        The dual residual of `solution` (``-grad`` of the loss at its output).
    solution : ConvexSolution
        A solution of the program with cones (ReLU, leaky ReLU, absolute value).
    steps : tuple of float
    comm : communicator, optional
        Row-sharded X and lam: the products ``X^T (.)`` are summed over the ranks.

    Returns
    -------
    ndarray of shape (d, k)
        Unit columns, k = (1 + len(steps)) * (number of nonzero blocks).
    """
    comm = comm or communicator(False)
    prog = solution.program
    a, b = slopes(prog.activation, prog.alpha)
    cols, signs = [], []
    kept = kept_blocks(prog, solution.U, solution.V)  # the blocks solution.network() keeps
    for block, keep, sign in zip((solution.U, solution.V), kept, (1.0, -1.0)):
        norms = np.linalg.norm(block, axis=0)
        cols.append(block[:, keep] / norms[keep])
        signs.append(np.full(int(keep.sum()), sign))
    W, s = np.hstack(cols), np.concatenate(signs)
    if not W.shape[1]:
        return W
    G = comm.sum(X.T @ (np.where(X @ W >= 0, a, b) * lam[:, None] * s))
    G /= np.maximum(np.linalg.norm(G, axis=0), 1e-300)
    out = np.hstack([W] + [W + t * G for t in steps])
    return out / np.linalg.norm(out, axis=0)


def price_patterns(X, lam, beta, *, activation="relu", alpha=0.01, gated=False,
                   n_starts=64, seed=0, starts=None, max_iter=30, exact_top=256,
                   distributed=False):
    """Search for patterns whose dual constraint ``lambda`` violates.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    lam : ndarray of shape (n,)
        The dual residual of a restricted solution (``-grad`` of the loss at its output).
    beta : float
    n_starts : int
        Random starts per sign: half Gaussian directions, half hyperplanes through data
        points (generalized cross products; through points of at most
        ``CROSS_PRODUCT_ROWS`` rows drawn at random when X has more).
    starts : ndarray of shape (d, k), optional
        More starting directions (e.g. a warm network's neurons).
    exact_top : int
        With cones: the exact dual constraint ``max_{u in K_i, ||u|| <= 1} |lambda^T Dt_i X u|``
        (``cone_correlation``, two NNLS) of the best `exact_top` patterns found replaces
        the price of the direction that found them (0: directions' prices only).
    distributed : bool
        X and lam are this rank's rows of a row-sharded search (module docstring); the
        same `seed`, `starts` and settings on every rank.

    Returns
    -------
    patterns : bool ndarray of shape (k, n), distinct, best first
        (distributed: this rank's columns of them)
    ratios : ndarray of shape (k,)
        Dual constraint / beta of each: exact for gated ReLU and for the `exact_top`
        best, a lower bound (the price of one direction in the cone) for the rest.  When
        sharded, the row-sharded NNLS of a pattern may stop at an upper bound
        (``certificates.SHARDED_NNLS_ROUNDS``): such a ratio can overstate the pattern's
        violation, so the pattern may be added without lowering the objective (never the
        reverse: no violated pattern is missed because of it).
    """
    comm = communicator(check_bool(distributed, "distributed"))
    rng = np.random.default_rng(seed)
    n, d = X.shape
    parts = [rng.standard_normal((d, n_starts))]
    try:
        cross = sample_patterns(_cross_product_rows(X, rng, comm), max(n_starts // 2, 1),
                                method="cross_product", seed=rng, return_directions=True)[1]
    except ValueError:
        # degenerate data (repeated points, constant columns: e.g. digits' blank pixels)
        # leave no hyperplane through exactly d-1 points: Gaussian starts instead
        cross = rng.standard_normal((d, max(n_starts // 2, 1)))
    parts.append(np.asarray(cross).reshape(d, -1))
    if starts is not None:
        parts.append(np.asarray(starts, dtype=np.float64).reshape(d, -1))
    U0 = np.hstack(parts)
    U0 = U0[:, np.linalg.norm(U0, axis=0) > 0]
    U0 /= np.linalg.norm(U0, axis=0)
    a, b = slopes(activation, alpha)
    found = []
    for sign in (1.0, -1.0):
        U = U0.copy()
        for _ in range(max_iter):
            Dt = np.where(X @ U >= 0, a, b)
            # ascent direction of sign*lam^T sigma(Xu): a sum over rows (and ranks)
            V = comm.sum(X.T @ (Dt * (sign * lam)[:, None]))
            norms = np.linalg.norm(V, axis=0)
            keep = norms > 0
            V[:, keep] /= norms[keep]
            V[:, ~keep] = U[:, ~keep]
            if np.allclose(V, U, atol=1e-12):
                break
            U = V
        found.append(U)
    U = np.hstack(found + [U0])
    ratios = _prices(X, lam, U, activation, alpha, gated, comm) / beta
    order = np.argsort(-ratios)
    pats = patterns_of_directions(X, U[:, order])
    first = comm.unique_index(pats)
    pats, ratios = pats[first], ratios[order][first]
    if not gated and exact_top:
        # a direction's price is only a lower bound on its pattern's: the ascent's last
        # iterate can sit far inside the cone (on breast_cancer, directions priced below
        # beta whose cones reach well above it); the exact cone maximum (two NNLS per
        # pattern) ranks the best candidates by what adding them can really gain
        top = min(exact_top, len(pats))
        probe = ConvexProgram(X, lam, beta, pats[:top], activation=activation, alpha=alpha)
        exact = cone_correlation(probe, lam, comm=comm)
        ratios[:top] = np.maximum(ratios[:top], exact / beta)
        order = np.argsort(-ratios, kind="stable")
        pats, ratios = pats[order], ratios[order]
    return pats, ratios


def train_convex(X, y, beta, *, activation="relu", alpha=0.01, loss="squared",
                 gated=False, initial_patterns=None, per_round=40, max_rounds=30,
                 max_patterns=2000, time_limit=None, n_starts=64, exact_limit=20_000,
                 drop_after=1, warm_network="lbfgs", solver="auto", tol=1e-6,
                 device=None, seed=0, distributed=False, pricing="search",
                 min_progress=None) -> TrainingReport:
    """Train a two-layer network by its convex program, choosing the patterns by pricing.

    Parameters
    ----------
    X : array_like of shape (n, d); y : array_like of shape (n,); beta : float > 0
    activation, alpha, loss, gated, solver, tol
        As in :func:`solve_convex`, except that with solver "auto" a round whose interior
        point stalls short of `tol` keeps its best certified point (with a warning)
        instead of re-solving with CVXPY.
    device : {"cpu", "cuda", "cuda:k"}, optional
        Where the L-BFGS warm network is trained and the restricted programs are solved
        (torch; as in :func:`solve_convex`, default "cuda" when a GPU is visible).
        Pricing runs in numpy on the host: its products are n x d by d x starts.
    initial_patterns : int >= 0, optional
        Gaussian patterns to start from (default: 20 without a warm network, none with
        one).
    per_round : int
        Patterns added per round at most (the most violated first).
    max_rounds, max_patterns : int
        Budgets; hitting one is said in ``status``.
    time_limit : float, optional
        Seconds, the warm network's included; a soft limit, checked after each round:
        the next round is not started when the last one's length would take it past the
        limit (rounds grow, so the last can still overrun it).  The warm network and the
        first round always run.
    n_starts : int
        Starts per sign of the pricing search (ignored when pricing is exact).
    exact_limit : int
        Price exactly when X has at most this many patterns (``enumerate_patterns``).
    pricing : {"search", "exact", "auto"}
        How to price when the patterns are too many to list.  "search": the ascent
        (:func:`price_patterns`), which can only find violations.  "exact": the branch
        and bound of :func:`price_exact` every round, run to the price itself (the
        patterns of its violating directions and of the search's ascent from them are
        added, up to `per_round`), so "no violation" is a proof over networks of any
        width and every round records a lower bound.  "auto": the search, then the
        branch and bound when the search finds nothing.  The branch and bound gets
        what is left of `time_limit` (or ``EXACT_PRICE_SECONDS`` without one); when it
        runs out having found no violation, the status says "time_limit" (violations it
        found are added and the rounds go on).  Not gated, not `distributed`.
    min_progress : float in [0, 1), optional
        Stop ("slow_progress") when a round lowered the objective by less than this
        fraction of it, though pricing still finds violations.  The first round is
        compared with the warm network's objective (``warm_objective``) when that network
        has the run's activation and alpha, else not judged.  Default: ``MIN_PROGRESS``
        (1e-2) where pricing is the search, 0 where it can certify (every pattern listed,
        or ``pricing="exact"``, or "auto", whose branch and bound follows a search that
        finds nothing): a certificate needs every round.  0: no progress rule, the rounds
        run until a budget or until pricing finds no violation.
    drop_after : int
        Drop a pattern whose block stayed zero for this many rounds in a row.
    warm_network : "lbfgs" (default), TwoLayerNetwork or None
        Its neurons' patterns join the start, its directions the pricing starts.
        "lbfgs": a network of width ``WARM_WIDTH`` trained by up to ``WARM_STEPS``
        iterations of L-BFGS on the same objective (``train_nonconvex(...,
        optimizer="lbfgs")``: a line search, no learning rate; its seed is drawn from
        `seed` after the Gaussian patterns).  The first round's program holds every
        neuron's pattern, and the network maps to a feasible point of it with an
        objective at most its own (chapter 04, "Two facts hold for any network"), so
        the first round ends at most ``warm_objective`` plus its certified gap; for a
        network passed in, when it has the same activation and alpha.  None: Gaussian
        patterns only, pure pricing.  A sharded run (`distributed`, more than one rank)
        trains none ("lbfgs" is skipped there: L-BFGS here needs every row on one
        process), so it differs from a one-process run with the same arguments.
        With cones (not `gated`), each round's search also starts from the restricted
        solution's own neurons and two short steps from each along its ascent direction
        (:func:`neighbor_starts`).
    seed : None, int >= 0 or numpy.random.Generator
        Seeds the Gaussian patterns, the L-BFGS warm network and the pricing starts.
    distributed : bool
        Row-sharded training: each rank passes its own rows of X and y, the same
        settings; solves and pricing reduce over the ranks (``solve_convex``,
        :func:`price_patterns`), pricing is the search, and ``report.solution`` holds
        the rank's shard (its U, V and certificate are the same on every rank).

    Returns
    -------
    TrainingReport
        ``report.solution`` is a ConvexSolution on the patterns chosen;
        ``report.network()`` the trained network; ``report.rounds`` the history.
    """
    start = time.perf_counter()
    # X, y, beta and the model validated once, here: the rounds' programs share them
    base = ConvexProgram(X, y, beta, np.ones((1, len(np.asarray(X))), dtype=bool),
                         activation=activation, alpha=alpha, loss=loss, gated=gated)
    _check_budgets(per_round=per_round, max_rounds=max_rounds, max_patterns=max_patterns,
                   n_starts=n_starts, exact_limit=exact_limit, drop_after=drop_after,
                   time_limit=time_limit, initial_patterns=initial_patterns,
                   warm_network=warm_network)
    device = None if device is None else check_device(device)
    comm = communicator(check_bool(distributed, "distributed"))
    pricing = _check_pricing(pricing, gated, comm)
    _check_min_progress(min_progress)
    rng = np.random.default_rng(check_seed(seed))
    zero = _zero_network_report(base, comm, start, tol=tol, device=device,
                                distributed=distributed)
    if zero is not None:
        return zero
    every = _every_pattern(base.X, exact_limit, comm)
    if min_progress is None:  # the rule only where pricing is a search
        min_progress = MIN_PROGRESS if pricing == "search" and every is None else 0.0
    if isinstance(warm_network, str) and comm.world_size > 1:
        warm_network = None  # L-BFGS here needs every row on one process
    patterns, warm_network, warm_seconds = _start_patterns(
        base, initial_patterns, warm_network, device, rng, comm)
    run = _ColumnGeneration(
        base.with_patterns(patterns), every=every, comm=comm, rng=rng, start=start,
        warm_network=warm_network, warm_seconds=warm_seconds, per_round=per_round,
        drop_after=drop_after, max_patterns=max_patterns, time_limit=time_limit,
        n_starts=n_starts, pricing=pricing, min_progress=min_progress,
        solve={"tol": tol, "device": device, "progress": False, "distributed": distributed,
               "solver": Auto(retry_max_flops=0.0) if solver == "auto"
               and comm.world_size == 1 else solver})
    return run.train(max_rounds)


def _zero_network_report(base, comm, start, **solve):
    """The report of the zero network where beta proves it the optimum over networks of
    any width, else None.

    At the zero network the dual point is lambda0 = -grad l(0) and, for the ReLU family
    (slopes at most 1 in size), ``|lambda0^T sigma(X u)| <= sum_k |lambda0_k| ||x_k||`` for
    every unit u: when beta is at least that sum no pattern violates the dual constraint,
    a certificate of global optimality that costs one pass over X (at beta of 1e20 the
    rounds would otherwise solve programs in round-off).
    """
    lam0 = -loss_parts(np.zeros(base.n), base.y, base.loss)[1]
    bound = comm.sum(float(np.abs(lam0) @ np.linalg.norm(base.X, axis=1)))
    if base.beta < bound:
        return None
    sol = solve_convex(base, **solve)  # its zero check certifies 0 on the one pattern
    report = TrainingReport(status=OPTIMAL, exact=True, global_gap=0.0, solution=sol)
    report.rounds.append(PricingRound(1, base.P, sol.objective, sol.gap, bound / base.beta,
                                      0, time.perf_counter() - start))
    return report


def _check_budgets(*, time_limit, initial_patterns, warm_network, **counts) -> None:
    """Each budget of ``train_convex`` checked once, naming the argument."""
    for name, value in counts.items():
        check_positive_int(value, name)
    if time_limit is not None and (isinstance(time_limit, bool) or not isinstance(
            time_limit, numbers.Real) or not time_limit > 0):
        raise ValueError(f"time_limit must be a number of seconds > 0 or None, got {time_limit!r}")
    if initial_patterns is not None:
        check_positive_int(initial_patterns, "initial_patterns", minimum=0)
    if isinstance(warm_network, str) and warm_network != "lbfgs":
        raise ValueError(f"warm_network must be 'lbfgs', a TwoLayerNetwork or None, got "
                         f"{warm_network!r}")
    if not (warm_network is None or isinstance(warm_network, (str, TwoLayerNetwork))):
        raise TypeError(f"warm_network must be 'lbfgs', a TwoLayerNetwork or None, got "
                        f"{type(warm_network).__name__}")


def _check_min_progress(min_progress) -> None:
    if min_progress is not None and (isinstance(min_progress, bool) or not isinstance(
            min_progress, numbers.Real) or not 0 <= min_progress < 1):
        raise ValueError(f"min_progress must be a fraction in [0, 1) (0: no progress rule) "
                         f"or None, got {min_progress!r}")


def _check_pricing(pricing, gated, comm) -> str:
    if not isinstance(pricing, str) or pricing not in PRICINGS:
        raise ValueError(f"pricing must be one of {', '.join(map(repr, PRICINGS))}; got "
                         f"{pricing!r}")
    if pricing != "search" and (gated or comm.world_size > 1):
        raise ValueError(f"pricing={pricing!r} prices the ReLU family's cones on one "
                         "process; use pricing='search' for gated or distributed runs")
    return pricing


def _every_pattern(X, exact_limit, comm):
    """Every pattern of X where there are at most `exact_limit` (pricing is then exact),
    else None; listing them needs every row, so a sharded run prices by the search."""
    if comm.world_size > 1:
        return None
    try:
        return enumerate_patterns(X, max_patterns=exact_limit)
    except ValueError:
        return None


def _start_patterns(base, initial_patterns, warm_network, device, rng, comm):
    """The first round's patterns: Gaussian ones, then the warm network's neurons' (trained
    by L-BFGS for "lbfgs" on `base`'s data and objective, seeded after the Gaussian
    draws).  Returns the patterns (P, n), the warm network (or None) and the seconds its
    training took."""
    X = base.X
    if initial_patterns is None:
        initial_patterns = 0 if warm_network is not None and (
            isinstance(warm_network, str) or warm_network.width) else 20
    patterns = np.zeros((0, len(X)), dtype=bool)
    if initial_patterns and comm.world_size == 1:
        patterns = sample_patterns(X, initial_patterns, seed=rng)
    elif initial_patterns:  # sample_patterns' Gaussian draws, told apart across ranks
        patterns = patterns_of_directions(X, rng.standard_normal((X.shape[1],
                                                                  initial_patterns)))
        patterns = patterns[comm.unique_index(patterns)]
    seconds = 0.0
    if isinstance(warm_network, str):
        t0 = time.perf_counter()
        warm_network = train_nonconvex(
            X, base.y, WARM_WIDTH, base.beta, activation=base.activation, alpha=base.alpha,
            loss=base.loss, optimizer="lbfgs", steps=WARM_STEPS, record_every=WARM_STEPS,
            seed=int(rng.integers(2**31)), device=check_device(device))
        seconds = time.perf_counter() - t0
    if warm_network is not None and warm_network.width:
        patterns = np.vstack([patterns, warm_network.neuron_patterns(X)])
        patterns = patterns[comm.unique_index(patterns)]
    if not len(patterns):
        raise ValueError("initial_patterns=0 and no warm network (or one of width 0) leave "
                         "no pattern to start from: pass initial_patterns >= 1 or a "
                         "warm_network")
    return patterns, warm_network, seconds


class _ColumnGeneration:
    """The rounds of ``train_convex``: solve the restricted program, price, add and drop
    patterns, until no violation is found or a budget ends it (state as attributes)."""

    def __init__(self, program, *, every, comm, rng, start, warm_network, warm_seconds,
                 per_round, drop_after, max_patterns, time_limit, n_starts, pricing,
                 min_progress, solve):
        self.program, self.every, self.comm, self.rng = program, every, comm, rng
        self.full = None if every is None else program.with_patterns(every)
        self.start, self.warm_network, self.solve = start, warm_network, solve
        self.per_round, self.drop_after, self.n_starts = per_round, drop_after, n_starts
        self.max_patterns, self.time_limit = max_patterns, time_limit
        self.pricing, self.price_status, self.lower_bound = pricing, None, None
        self.price_bound, self.min_progress = None, min_progress
        self.idle = np.zeros(program.P, dtype=int)
        warm_objective = None
        if warm_network is not None:
            # the data term summed over the ranks' rows, the weight decay once
            fit = comm.sum(data_loss(warm_network.predict(program.X), program.y,
                                     program.loss))
            warm_objective = float(fit) + program.beta * warm_network.regularization()
        self.report = TrainingReport(status=MAX_ROUNDS, exact=every is not None,
                                     warm_network=warm_network,
                                     warm_objective=warm_objective, warm_seconds=warm_seconds)
        # the first round's program holds every neuron's pattern of a warm network with
        # the run's activation and alpha, so it starts at most that network's objective:
        # what the first round gained over it is its progress
        same_model = warm_network is not None and slopes(
            warm_network.activation, warm_network.alpha) == slopes(program.activation,
                                                                   program.alpha)
        self.warm_baseline = warm_objective if same_model else None

    def train(self, max_rounds: int) -> TrainingReport:
        self.max_rounds = max_rounds
        for k in range(1, max_rounds + 1):
            if self.round(k):
                break
        return self.report

    def round(self, k: int) -> bool:
        """One round; True when the run ends here (its status set)."""
        round_start = time.perf_counter()
        # the previous round's blocks carry over to the patterns kept (first-order
        # solvers; CVXPY and the interior point start afresh)
        sol = solve_convex(self.program, warm_start=self.report.solution, **self.solve)
        self.report.solution = sol
        solved = time.perf_counter()
        new, ratios = self.price(sol)
        # the patterns already in the program are not new
        have = set(self.comm.pattern_keys(self.program.patterns))
        fresh = np.array([key not in have for key in self.comm.pattern_keys(new)], dtype=bool)
        violated = fresh & (ratios > 1 + PRICE_RTOL)
        add = new[violated][:self.per_round]
        now = time.perf_counter()
        self.report.rounds.append(PricingRound(
            k, self.program.P, sol.objective, sol.gap, float(ratios[fresh].max(initial=0.0)),
            len(add), now - self.start, solve_seconds=solved - round_start,
            price_seconds=now - solved, lower_bound=self.lower_bound,
            price_bound=self.price_bound))
        if not len(add):
            self.report.status = self.verdict(sol)
            return True
        if k == self.max_rounds:  # the budget asked for ends it (status max_rounds)
            return True
        if self.slow():
            self.report.status = SLOW_PROGRESS
            return True
        self.replace_patterns(sol, add)
        if self.program.P > self.max_patterns:
            self.report.status = MAX_PATTERNS
            return True
        # the slowest rank's clock, so that every rank stops at the same round; a round
        # that would not end in time (judged by the last one's length) is not started
        now = time.perf_counter()
        if self.time_limit is not None and self.comm.max(
                2 * now - round_start - self.start) > self.time_limit:
            self.report.status = TIME_LIMIT
            return True
        return False

    def out_of_time(self) -> bool:
        return self.time_limit is not None and (
            time.perf_counter() - self.start >= self.time_limit)

    def slow(self) -> bool:
        """Did the last round lower the objective by less than ``min_progress`` times it
        (the first round: below the warm network's objective, where comparable)?"""
        rounds = self.report.rounds
        before = rounds[-2].objective if len(rounds) > 1 else self.warm_baseline
        if not self.min_progress or before is None:
            return False
        now = rounds[-1].objective
        return before - now < self.min_progress * abs(now)

    def verdict(self, sol) -> str:
        """The status when no violation is left: a proof only where pricing was exact."""
        if self.price_status in (TIME_LIMIT, NODE_LIMIT):
            return TIME_LIMIT
        if not self.report.exact:
            return NO_VIOLATION_FOUND
        proved = self.report.global_gap <= 10 * self.solve["tol"] * abs(sol.objective)
        return OPTIMAL if proved else INACCURATE

    def record_bound(self, sol, lam, correlations) -> None:
        """The dual bound that a proven price bound gives, kept when it is the best."""
        lower, _ = dual_bound(self.program.y, lam, correlations, self.program.beta,
                              self.program.loss)
        self.price_bound = float(np.max(correlations)) / self.program.beta
        self.lower_bound = lower if self.lower_bound is None else max(self.lower_bound, lower)
        self.report.global_gap = max(sol.objective - self.lower_bound, 0.0)

    def price(self, sol):
        """Candidate patterns and their prices / beta, most violated first: exact over
        every pattern of X where listed (the global gap then recorded), else the search
        and / or the branch and bound (``pricing``)."""
        program = self.program
        lam = -loss_parts(sol.program.output(sol.U, sol.V), program.y, program.loss)[1]
        if self.full is not None:
            corr, _ = dual_constraints(self.full, lam, exact=True)
            self.record_bound(sol, lam, corr)
            order = np.argsort(-corr)
            return self.every[order], corr[order] / program.beta
        # what an earlier round's branch and bound said holds for that round only
        self.report.exact, self.price_status = False, None
        if self.lower_bound is not None:
            self.report.global_gap = max(sol.objective - self.lower_bound, 0.0)
        if self.pricing == "exact":
            return self.branch_and_bound(sol, lam)
        new, ratios = self.search(sol, lam)
        if self.pricing == "auto" and not (ratios > 1 + PRICE_RTOL).any():
            return self.branch_and_bound(sol, lam)
        return new, ratios

    def branch_and_bound(self, sol, lam):
        """``price_exact`` with the run's budget: its violations, and its price bound
        (proven at any status) recorded as a lower bound."""
        program = self.program
        left = EXACT_PRICE_SECONDS if self.time_limit is None else max(
            self.time_limit - (time.perf_counter() - self.start), 1.0)
        # violations count above PRICE_RTOL; the bound is proven to tol (or PRICE_RTOL).
        # The tree runs on past its first violation, to the price itself: its bound M
        # then falls to the price, and the lower bound's scaling beta / M with it (planted
        # 300 x 3: gap 0.3% after 300 s, against 8.3% when the first violation stopped it)
        rtol = min(PRICE_RTOL, self.solve["tol"])
        found = price_exact(program.X, lam, activation=program.activation,
                            alpha=program.alpha, threshold=program.beta * (1 + rtol),
                            rtol=rtol, time_limit=left, starts=sol.network().W1)
        self.price_status = found.status
        self.report.exact = found.status == OPTIMAL
        self.record_bound(sol, lam, np.array([found.upper_bound]))
        pats = patterns_of_directions(program.X, found.directions)
        ratios = found.prices / program.beta
        if found.price > program.beta * (1 + PRICE_RTOL) and not self.out_of_time():
            # the search's ascent from the tree's violating directions finds the violated
            # patterns around them, so a round adds more than the tree's few (not once the
            # budget is spent: no round would solve with them)
            more, more_ratios = self.search(sol, lam, found.directions)
            pats, ratios = np.vstack([pats, more]), np.concatenate([ratios, more_ratios])
        first = np.unique(pats, axis=0, return_index=True)[1]
        order = first[np.argsort(-ratios[first], kind="stable")]
        return pats[order], ratios[order]

    def search(self, sol, lam, more_starts=None):
        """The pricing search (:func:`price_patterns`) from the warm network's neurons,
        the solution's neighbour starts and `more_starts` (d, k), if any."""
        program = self.program
        starts = [] if self.warm_network is None else [self.warm_network.W1]
        if more_starts is not None:
            starts.append(more_starts)
        if not program.gated:
            starts.append(neighbor_starts(program.X, lam, sol, comm=self.comm))
        return price_patterns(program.X, lam, program.beta, activation=program.activation,
                              alpha=program.alpha, gated=program.gated,
                              n_starts=self.n_starts, seed=self.rng,
                              starts=np.hstack(starts) if starts else None,
                              distributed=self.solve["distributed"])

    def replace_patterns(self, sol, add) -> None:
        """Drop the blocks that stayed zero `drop_after` rounds, add the violated patterns."""
        active = np.zeros(self.program.P, dtype=bool)
        active[sol.active_blocks()] = True
        self.idle = np.where(active, 0, self.idle + 1)
        keep = self.idle < self.drop_after
        self.program = self.program.with_patterns(
            np.vstack([self.program.patterns[keep], add]))
        self.idle = np.concatenate([self.idle[keep], np.zeros(len(add), dtype=int)])
