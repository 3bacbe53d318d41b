"""The registry of checks, the guard every check runs behind, and how to write a check.

Every check is registered with :func:`register`; :func:`convexnn_lab.grading.check`
looks it up by name (``"ex01.q2"``) and runs it behind one guard, so a chapter's
checks (ex00 ... ex07 here, ex08, ex09 ... added later) all get the same treatment
without doing anything themselves:

- the learner's function reaches the check wrapped (:class:`Answer`): an exception
  raised inside the learner's code becomes feedback that shows the learner's own
  frames only; a return value of the wrong kind (None, a tuple, a string, a ragged
  or wrong-dimensional array, NaN or inf) becomes feedback that says what came back
  and what was expected (the ``returns`` spec);
- library functions named in ``forbid`` may not run while the learner's function
  runs (the exercise asks the learner to write them); calling one is feedback;
- any other exception inside the check (it could not use what came back) becomes
  feedback that describes the returned value; the check's own code, its reference
  values and its traceback are never shown (``raise ... from None``);
- a check returns nothing; :func:`check` prints ``correct`` and returns None.

How to write a check (``convexnn_lab/grading/exNN.py``, imported in ``__init__``)::

    from ._registry import Array, Feedback, close, register

    @register("ex08.q1", returns=Array(ndim=2),
              forbid=("convexnn_lab.core.patterns:enumerate_patterns",))
    def _ex08_q1(answer):
        for X in cases:                     # several inputs, so no constant passes
            ref = enumerate_patterns(X)     # reference from a library call, computed
            got = answer(X)                 # before or after the learner's call
            if <typical slip>:              # one specific message per typical slip
                raise Feedback("... what is wrong and how to fix it ...")
            close(got, ref, f"the patterns for n={len(X)}")

Rules: (1) call the learner's function only through ``answer`` (the registry wraps
it); (2) compute references with library calls (or a different method, e.g. brute
force), never by re-typing the exercise's answer in the check, so that the check's
source does not hand the answer over; (3) no reference value in a message: say
where and how far off (:func:`close` does); (4) test at least two inputs, chosen so
that a hard-coded constant and each typical wrong answer fail, and list those wrong
answers in ``tests/test_exercises.py``; (5) a prediction (the learner commits to a
number) is registered with ``kind="value"``: the check receives the number, already
converted by ``returns``.
"""

from __future__ import annotations

import importlib
import math
import numbers
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

STUB = "# YOUR CODE HERE\nraise NotImplementedError()"  # nbgrader's own stub
NOT_ANSWERED = "not answered yet"

_HERE = str(Path(__file__).resolve().parent)


class Feedback(AssertionError):
    """A graded check failed; the message says what is wrong."""


# ---------------------------------------------------------------- describing values

def describe(value) -> str:
    """Words for what a learner's function returned (never the reference)."""
    if value is None:
        return "None"
    if isinstance(value, str):
        return f"a string ({value[:30]!r})"
    if isinstance(value, (bool, np.bool_)):
        return f"the boolean {bool(value)}"
    if isinstance(value, numbers.Number):
        return f"the number {value!r}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    if callable(value):
        return f"a function ({getattr(value, '__name__', type(value).__name__)})"
    return f"an object of type {type(value).__name__}"


def _args(args) -> str:
    parts = []
    for a in args:
        if isinstance(a, np.ndarray):
            parts.append(f"array{a.shape}")
        elif isinstance(a, (list, tuple)):
            parts.append(f"{type(a).__name__}[{len(a)}]")
        elif isinstance(a, np.random.Generator):
            parts.append("rng")
        else:
            parts.append(repr(a) if len(repr(a)) < 20 else type(a).__name__)
    return ", ".join(parts)


# ---------------------------------------------------------------- return-value specs

class Spec:
    """What a learner's function must return; ``convert`` returns it cleaned or raises."""

    words = "a value"

    def convert(self, value):
        return value

    def fail(self, value, why=""):
        extra = f" ({why})" if why else ""
        hint = " (did you forget `return`?)" if value is None else ""
        raise Feedback(f"your function returned {describe(value)}{extra}; it should return "
                       f"{self.words}{hint}")


class Anything(Spec):
    pass


class Number(Spec):
    """A finite real number (Python or NumPy scalar, or an array with one element)."""

    words = "a number (a float)"

    def convert(self, value):
        if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, str):
            self.fail(value)
        if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
            value = value.reshape(())[()]
        if hasattr(value, "detach"):  # a torch scalar
            value = value.detach().cpu().numpy().reshape(-1)
            if value.size != 1:
                self.fail(value)
            value = value[0]
        if not isinstance(value, numbers.Real):
            self.fail(value)
        value = float(value)
        if not math.isfinite(value):
            self.fail(value, "not finite")
        return value


class Integer(Spec):
    """A whole number (an ``int``, a NumPy integer, or a float with no fractional part)."""

    words = "a whole number (an int)"

    def convert(self, value):
        if isinstance(value, (bool, np.bool_)) or value is None:
            self.fail(value)
        if isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
            return int(value)
        self.fail(value)


class Boolean(Spec):
    """``True`` or ``False`` (Python or NumPy bool)."""

    words = "True or False"

    def convert(self, value):
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        self.fail(value)


@dataclass
class Array(Spec):
    """A finite real array; ``ndim``/``shape`` checked when given (``None`` entries: any)."""

    ndim: int | None = None
    shape: tuple | None = None
    dtype: type = float
    what: str = "an array"

    @property
    def words(self):
        if self.shape is not None:
            shp = "(" + ", ".join("any" if s is None else str(s) for s in self.shape) + ")"
            return f"{self.what} of shape {shp}"
        if self.ndim is not None:
            return f"{self.what} with {self.ndim} dimension{'s' if self.ndim != 1 else ''}"
        return self.what

    def convert(self, value):
        if value is None or isinstance(value, (str, dict, set)) or callable(value):
            self.fail(value)
        if hasattr(value, "detach"):  # a torch tensor
            value = value.detach().cpu().numpy()
        try:
            arr = np.asarray(value)
        except ValueError:  # ragged nested lists
            self.fail(value, "rows of different lengths")
        if arr.dtype == object or arr.dtype.kind not in "biuf":
            self.fail(value, f"entries of type {arr.dtype}")
        ndim = self.ndim if self.shape is None else len(self.shape)
        if ndim is not None and arr.ndim != ndim:
            self.fail(value, f"{arr.ndim} dimension{'s' if arr.ndim != 1 else ''}")
        if self.shape is not None and any(s is not None and s != a
                                          for s, a in zip(self.shape, arr.shape)):
            self.fail(value)
        arr = arr.astype(self.dtype)
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            self.fail(value, "it holds NaN or inf")
        return arr


@dataclass
class Tuple(Spec):
    """A tuple (or list) of exactly ``len(items)`` values, each checked by its spec."""

    items: tuple = field(default_factory=tuple)
    names: tuple = ()

    @property
    def words(self):
        names = self.names or tuple(s.words for s in self.items)
        return f"a pair ({', '.join(names)})" if len(self.items) == 2 else \
            f"a tuple of {len(self.items)} ({', '.join(names)})"

    def convert(self, value):
        if not isinstance(value, (tuple, list)) or len(value) != len(self.items):
            self.fail(value)
        out = []
        for k, (spec, v) in enumerate(zip(self.items, value)):
            try:
                out.append(spec.convert(v))
            except Feedback as exc:
                name = self.names[k] if self.names else f"item {k}"
                raise Feedback(f"{name} of the returned tuple: {exc}") from None
        return tuple(out)


# ---------------------------------------------------------------- the learner's function

def _resolve(path: str):
    """``"module:attr.attr"`` -> the function's code object."""
    module, _, attr = path.partition(":")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    obj = getattr(obj, "__func__", obj)
    while not hasattr(obj, "__code__") and hasattr(obj, "__wrapped__"):
        obj = obj.__wrapped__  # numpy's array-function dispatchers
    return obj.__code__


def _public_name(path: str) -> str:
    module, _, attr = path.partition(":")
    return module.replace("convexnn_lab", "cl") + "." + attr


def _learner_frames(tb) -> str:
    frames = [f for f in traceback.extract_tb(tb) if not f.filename.startswith(_HERE)]
    return "".join(traceback.format_list(frames[-4:]))


class Answer:
    """The learner's function as a check sees it: call it like the function itself."""

    def __init__(self, fn, returns: Spec, forbid=()):
        self.fn, self.returns, self.forbid = fn, returns, tuple(forbid)
        self.last = _UNSET

    def __call__(self, *args, **kwargs):
        hits: list[str] = []
        codes = {_resolve(p): p for p in self.forbid}
        old = sys.getprofile()
        if codes:
            def watch(frame, event, arg):
                if event == "call" and frame.f_code in codes:
                    hits.append(codes[frame.f_code])
            sys.setprofile(watch)
        try:
            value = self.fn(*args, **kwargs)
        except (NotImplementedError, Feedback):
            raise
        except Exception as exc:  # noqa: BLE001  (the learner's code failed: their frames only)
            raise Feedback(f"your function raised {type(exc).__name__}: {exc} when called "
                           f"with ({_args(args)})\n{_learner_frames(exc.__traceback__)}"
                           ) from None
        finally:
            if codes:
                sys.setprofile(old)
        if hits:
            raise Feedback(f"your function calls {_public_name(hits[0])}, which this exercise "
                           "asks you to write yourself; use NumPy (or the functions the "
                           "question names) instead")
        self.last = value
        return self.returns.convert(value)


_UNSET = object()


# ---------------------------------------------------------------- the registry

@dataclass
class Check:
    """One registered check: the function that grades, and what it expects."""

    name: str
    grade: Callable
    returns: Spec
    kind: str = "function"          # "function": the learner passes a function;
    forbid: tuple = ()              # "value": the learner passes a number (a prediction)

    def __call__(self, answer):
        return run(self, answer)


CHECKS: dict[str, Check] = {}


def register(name: str, *, returns: Spec | None = None, kind: str = "function",
             forbid=()):
    """Register a check under `name` (``"exNN.qK"``); see the module docstring."""
    if kind not in ("function", "value"):
        raise ValueError(f"kind must be 'function' or 'value', got {kind!r}")

    def wrap(fn):
        CHECKS[name] = Check(name, fn, returns or Anything(), kind, tuple(forbid))
        return fn

    return wrap


def run(check: Check, answer) -> None:
    """Run `check` on the learner's `answer`; raise :class:`Feedback` or return None."""
    name = check.name
    if check.kind == "value":
        if answer is None or answer is Ellipsis:
            raise Feedback(f"{name}: {NOT_ANSWERED}: replace None with your prediction "
                           "(a number), then run this cell")
        try:
            value = check.returns.convert(answer)
        except Feedback as exc:
            said = str(exc).replace('your function returned', 'your prediction is')
            raise Feedback(f"{name}: {said}") from None
        arg = value
    else:
        if not callable(answer):
            raise Feedback(f"{name}: pass the function you wrote (its name, without "
                           f"calling it); got {describe(answer)}")
        arg = Answer(answer, check.returns, check.forbid)
    try:
        check.grade(arg)
    except NotImplementedError:
        raise Feedback(f"{name}: {NOT_ANSWERED}; replace the lines `# YOUR CODE HERE` and "
                       "`raise NotImplementedError()` with your code") from None
    except Feedback as exc:
        raise Feedback(f"{name}: {exc}") from None
    except Exception as exc:  # noqa: BLE001  (the check could not use the answer; no code shown)
        got = describe(arg.last) if isinstance(arg, Answer) and arg.last is not _UNSET \
            else describe(answer)
        raise Feedback(f"{name}: the check could not use what your function returned "
                       f"({got}; {type(exc).__name__}); it should return "
                       f"{check.returns.words}") from None


# ---------------------------------------------------------------- comparing

def close(mine, ref, what, rtol=1e-6, atol=1e-9):
    """Raise Feedback unless ``mine`` matches ``ref``; the message shows no reference value.

    It names the shape, the index and the learner's value there, the size of the error,
    and the usual slips (opposite sign, factor 2, transposed).
    """
    mine = np.asarray(mine, dtype=float)
    ref = np.asarray(ref, dtype=float)
    if mine.shape != ref.shape:
        if mine.shape == ref.T.shape and mine.ndim == 2:
            raise Feedback(f"{what} has shape {mine.shape}, the transpose of the expected "
                           "shape: rows and columns are swapped")
        raise Feedback(f"{what} has shape {mine.shape}, expected {ref.shape}")
    if np.allclose(mine, ref, rtol=rtol, atol=atol):
        return
    big = np.abs(ref) > atol
    if big.any() and np.allclose(mine, -ref, rtol=rtol, atol=atol):
        raise Feedback(f"{what} has the opposite sign of the correct value everywhere: "
                       "check the sign of each term (residual pred - y, not y - pred)")
    for factor, words in ((2.0, "twice"), (0.5, "half")):
        if big.any() and np.allclose(mine, factor * ref, rtol=rtol, atol=atol):
            raise Feedback(f"{what} is {words} the correct value: check the factor 1/2")
    if ref.ndim == 2 and ref.shape[0] == ref.shape[1] and np.allclose(mine, ref.T, rtol=rtol,
                                                                      atol=atol):
        raise Feedback(f"{what} is the transpose of the correct matrix")
    err = np.abs(mine - ref)
    i = np.unravel_index(np.argmax(err / (atol + rtol * np.abs(ref))), ref.shape) \
        if ref.shape else ()
    rel = float(err[i] / max(abs(float(ref[i])), 1e-12))
    where = f" at index {tuple(int(k) for k in i)}" if ref.shape else ""
    direction = "too large" if mine[i] > ref[i] else "too small"
    raise Feedback(f"{what}: your value{where} is {mine[i]:.6g}, {direction} "
                   f"(relative error about {rel:.0e})")


def rows(P):
    """The set of rows of a 0/1 matrix, as tuples of bools."""
    return {tuple(np.asarray(p, dtype=bool)) for p in P}


# names the chapters' modules used before the registry had a guard
_register = register
_close = close
_rows = rows
