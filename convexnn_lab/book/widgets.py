"""Interactive explorers for the book (ipywidgets + matplotlib).

Each explorer does its heavy work once, in ``__init__`` (the arrangement, the
regularization path, the loss surface); a slider move calls ``update``, a plain
method that returns the new state (the pattern, the active neurons, the path), then
redraws.  Tests drive ``update`` and the sliders from Python without a browser.
``widget()`` returns the ipywidgets box to display.
"""

from __future__ import annotations

import numpy as np

from ..chapters.landscape import descend_two_neurons, two_neuron_loss
from ..core.patterns import enumerate_patterns
from ..data.datasets import add_bias
from .plots import network_1d, pattern_string

__all__ = ["ArrangementExplorer", "RegularizationExplorer", "LandscapeExplorer"]


def _show(out, fig):
    """Replace the Output widget's content by the figure."""
    from IPython.display import display

    out.clear_output(wait=True)
    with out:
        display(fig)


class ArrangementExplorer:
    """Turn a direction u and watch its pattern 1[X u >= 0] (chapter 1).

    Parameters
    ----------
    X : ndarray of shape (n, 2), or (n, 1) with ``bias=True``
        2-D data (the data plane is also the plane of directions u).
    bias : bool
        Append a column of ones (1-D inputs with a bias).
    """

    def __init__(self, X, *, bias: bool = False):
        X = np.asarray(X, dtype=np.float64)
        self.X = add_bias(X) if bias else X
        if self.X.ndim != 2 or self.X.shape[1] != 2:
            raise ValueError(
                f"the explorer draws 2-D data: X must be (n, 2), or (n, 1) with bias=True; "
                f"got {X.shape}"
            )
        self.patterns = enumerate_patterns(self.X)
        self.labels = [pattern_string(p) for p in self.patterns]
        self.seen: set[int] = set()
        self.state: dict = {}

    def update(self, angle: float) -> dict:
        """State for the direction at `angle` degrees: pattern, its index, patterns found."""
        theta = np.deg2rad(angle)
        u = np.array([np.cos(theta), np.sin(theta)])
        z = self.X @ u
        pattern = z >= 0
        label = pattern_string(pattern)
        # a direction on a hyperplane (z_j = 0) is on a cell wall, not inside a cell
        index = self.labels.index(label) if label in self.labels and np.all(z != 0) else -1
        if index >= 0:
            self.seen.add(index)
        self.state = {"angle": float(angle), "u": u, "pattern": label, "index": index,
                      "active": np.flatnonzero(pattern), "found": len(self.seen),
                      "total": len(self.labels)}
        return self.state

    def draw(self, ax=None):
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(4.5, 4.5))
        else:
            fig = ax.figure
        ax.clear()
        s = self.state
        lim = 1.2 * np.abs(self.X).max()
        active = np.zeros(len(self.X), dtype=bool)
        active[s["active"]] = True
        ax.scatter(*self.X[~active].T, c="0.6", label="inactive")
        ax.scatter(*self.X[active].T, c="C3", label="active: $x^T u \\geq 0$")
        u = s["u"]
        ax.plot([-lim * u[1], lim * u[1]], [lim * u[0], -lim * u[0]], "k-", lw=1)
        ax.annotate("", xy=0.8 * lim * u, xytext=(0, 0),
                    arrowprops={"arrowstyle": "->", "color": "C0"})
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.legend(loc="lower left", fontsize=8)
        ax.set_title(f"u at {s['angle']:.0f} deg: pattern {s['pattern']}")
        return fig, ax

    def pattern_list_html(self) -> str:
        s = self.state
        items = []
        for i, label in enumerate(self.labels):
            style = "background:#fdd;font-weight:bold" if i == s.get("index") else (
                "color:#000" if i in self.seen else "color:#aaa")
            items.append(f"<span style='{style};font-family:monospace'>{label}</span>")
        return (f"<b>{s.get('found', 0)} of {len(self.labels)} patterns found</b><br>"
                + " ".join(items))

    def widget(self, angle: float = 30.0):
        import ipywidgets as w
        import matplotlib.pyplot as plt

        slider = w.FloatSlider(value=angle, min=0, max=359, step=1, description="angle of u")
        out = w.Output()
        listing = w.HTML()
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        plt.close(fig)

        def redraw(change=None):
            self.update(slider.value)
            self.draw(ax)
            listing.value = self.pattern_list_html()
            _show(out, fig)

        slider.observe(redraw, names="value")
        redraw()
        box = w.VBox([slider, w.HBox([out, listing])])
        box.slider, box.explorer, box.figure = slider, self, fig
        return box


class RegularizationExplorer:
    """Slide beta along a precomputed path of networks on 1-D data (chapters 2, 7).

    Parameters
    ----------
    t : ndarray of shape (n,)
        1-D inputs (a bias column is added).
    y : ndarray of shape (n,)
    betas : sequence of float
        The grid; every program is solved once, here, with all 2n patterns.
    """

    def __init__(self, t, y, betas, *, solver="auto"):
        from ..solvers import solve_path

        self.t = np.asarray(t, dtype=np.float64).ravel()
        self.y = np.asarray(y, dtype=np.float64).ravel()
        self.X = add_bias(self.t[:, None])
        self.betas = [float(b) for b in betas]
        patterns = enumerate_patterns(self.X)
        self.path = solve_path(self.X, self.y, self.betas, patterns, solver=solver,
                               progress=False)
        self.networks = [s.network().merge_neurons(self.X) for s in self.path]
        self.state: dict = {}

    def update(self, beta: float) -> dict:
        """State at the grid value nearest to `beta`: neurons, breakpoints, objective."""
        k = int(np.argmin(np.abs(np.log(self.betas) - np.log(beta))))
        net = self.networks[k]
        w, b = (net.W1[0], net.W1[1]) if net.width else (np.zeros(0), np.zeros(0))
        with np.errstate(divide="ignore", invalid="ignore"):
            kinks = np.sort(np.where(w != 0, -b / w, np.nan))
        self.state = {"beta": self.betas[k], "index": k, "neurons": net.width,
                      "breakpoints": kinks[np.isfinite(kinks)],
                      "objective": self.path[k].objective, "gap": self.path[k].gap}
        return self.state

    def draw(self, ax=None):
        k = self.state["index"]
        fig, ax = network_1d(self.networks[k], self.t, self.y, ax=ax)
        s = self.state
        ax.set_title(f"beta = {s['beta']:.3g}: {s['neurons']} neurons, "
                     f"objective {s['objective']:.4f}")
        return fig, ax

    def widget(self, beta: float | None = None):
        import ipywidgets as w
        import matplotlib.pyplot as plt

        options = [(f"{b:.3g}", b) for b in sorted(self.betas)]
        start = beta if beta is not None else sorted(self.betas)[len(self.betas) // 2]
        slider = w.SelectionSlider(options=options,
                                   value=min(self.betas, key=lambda b: abs(b - start)),
                                   description="beta")
        out = w.Output()
        fig, ax = plt.subplots(figsize=(6, 4))
        plt.close(fig)

        def redraw(change=None):
            self.update(slider.value)
            ax.clear()
            self.draw(ax)
            _show(out, fig)

        slider.observe(redraw, names="value")
        redraw()
        box = w.VBox([slider, out])
        box.slider, box.explorer, box.figure = slider, self, fig
        return box


class LandscapeExplorer:
    """The two-neuron loss surface, a beta slider and a start point (chapter 0).

    The path is full-batch gradient descent from the start point
    (:func:`convexnn_lab.chapters.landscape.descend_two_neurons`).
    """

    def __init__(self, X, y, *, lim: float = 3.0, lr: float = 0.05, steps: int = 400):
        self.X, self.y = np.asarray(X, float), np.asarray(y, float)
        self.lim, self.lr, self.steps = lim, lr, steps
        g = np.linspace(-lim, lim, 161)
        self.W1, self.W2 = np.meshgrid(g, g)
        self._surfaces: dict = {}
        self.state: dict = {}

    def surface(self, beta: float) -> np.ndarray:
        """Loss on the grid, computed once per beta."""
        if beta not in self._surfaces:
            self._surfaces[beta] = two_neuron_loss(self.W1, self.W2, self.X, self.y, beta)
        return self._surfaces[beta]

    def update(self, beta: float, w1: float, w2: float) -> dict:
        """Descend from (w1, w2); state: the path, its end point and loss."""
        paths, final = descend_two_neurons(self.X, self.y, beta=beta, lr=self.lr,
                                           steps=self.steps, starts=[(w1, w2)])
        self.state = {"beta": float(beta), "start": (float(w1), float(w2)), "path": paths[0],
                      "end": paths[0, -1], "loss": float(final[0])}
        return self.state

    def draw(self, ax=None):
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(5, 4.5))
        else:
            fig = ax.figure
        s = self.state
        ax.contourf(self.W1, self.W2, np.log10(self.surface(s["beta"]) + 0.01), levels=30,
                    cmap="viridis")
        p = s["path"]
        ax.plot(p[:, 0], p[:, 1], "w-", lw=1.5)
        ax.plot(*p[0], "wo")
        ax.plot(*p[-1], "o", color="C3")
        ax.set_xlabel("$w_1$")
        ax.set_ylabel("$w_2$")
        ax.set_title(f"beta = {s['beta']:.2f}: ends at ({p[-1, 0]:.2f}, {p[-1, 1]:.2f}), "
                     f"loss {s['loss']:.3f}", fontsize=9)
        return fig, ax

    def widget(self, beta: float = 0.0, w1: float = 1.5, w2: float = 0.5):
        import ipywidgets as w
        import matplotlib.pyplot as plt

        sb = w.FloatSlider(value=beta, min=0, max=1, step=0.05, description="beta")
        s1 = w.FloatSlider(value=w1, min=-self.lim, max=self.lim, step=0.1, description="start w1")
        s2 = w.FloatSlider(value=w2, min=-self.lim, max=self.lim, step=0.1, description="start w2")
        out = w.Output()
        fig, ax = plt.subplots(figsize=(5, 4.5))
        plt.close(fig)

        def redraw(change=None):
            self.update(sb.value, s1.value, s2.value)
            ax.clear()
            self.draw(ax)
            _show(out, fig)

        for s in (sb, s1, s2):
            s.observe(redraw, names="value")
        redraw()
        box = w.VBox([w.HBox([sb, s1, s2]), out])
        box.sliders, box.explorer, box.figure = (sb, s1, s2), self, fig
        return box
