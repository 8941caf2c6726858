"""Fit the linear baselines (``tfidf-logreg``, ``embed-logreg``) on labelled articles.

Both use scikit-learn's logistic regression with balanced class weights; the fitted coefficients are
copied into the numpy-only models of :mod:`stancewire.models.baseline_linear`, then per-label
thresholds are tuned on dev exactly as for the fine-tuned classifier.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from stancewire.models.baseline_linear import EmbedLogReg, LinearLabeler, TfidfLogReg, mark_target
from stancewire.models.schema import Article
from stancewire.models.taxonomy import Taxonomy, load_taxonomy
from stancewire.training.thresholds import tune_thresholds

ABSENT_LOGIT = -20.0  # intercept of a label or class never seen in training: effectively never predicted


def fit_tfidf_logreg(
    train: Sequence[Article],
    dev: Sequence[Article],
    taxonomy: Taxonomy | None = None,
    C: float = 4.0,
    silver: Sequence[Article] = (),
    silver_weight: float = 0.5,
) -> TfidfLogReg:
    """TF-IDF (1-2 grams, sublinear tf) + logistic regression, thresholds tuned on ``dev``.

    ``silver`` articles (LLM labels) join the training rows with sample weight ``silver_weight``.

    Example:
        >>> model = fit_tfidf_logreg(train_articles, dev_articles)  # doctest: +SKIP
    """
    taxonomy = load_taxonomy(taxonomy)
    texts, labels, pairs, stances, weights = _weighted_rows(train, silver, silver_weight, taxonomy)
    vectorizers = {
        "paragraph": TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, dtype=np.float32),
        "pair": TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, dtype=np.float32),
    }
    x_par = vectorizers["paragraph"].fit_transform(texts)
    x_pair = vectorizers["pair"].fit_transform([mark_target(t, p) for t, p in pairs])
    model = TfidfLogReg(
        taxonomy,
        weights=_fit_heads(x_par, labels, x_pair, stances, len(taxonomy.stances), C, weights),
        vocabularies={k: {t: int(i) for t, i in v.vocabulary_.items()} for k, v in vectorizers.items()},
        idf={k: v.idf_.astype(np.float32) for k, v in vectorizers.items()},
    )
    return _with_thresholds(model, dev)


def fit_embed_logreg(
    train: Sequence[Article],
    dev: Sequence[Article],
    taxonomy: Taxonomy | None = None,
    encoder_name: str = "minilm",
    C: float = 2.0,
    silver: Sequence[Article] = (),
    silver_weight: float = 0.5,
) -> EmbedLogReg:
    """Frozen sentence embeddings + logistic regression, thresholds tuned on ``dev``.

    ``silver`` articles (LLM labels) join the training rows with sample weight ``silver_weight``.
    """
    taxonomy = load_taxonomy(taxonomy)
    texts, labels, pairs, stances, weights = _weighted_rows(train, silver, silver_weight, taxonomy)
    model = EmbedLogReg(taxonomy, weights=_placeholder_weights(taxonomy), encoder_name=encoder_name)
    x_par = model.paragraph_features(texts)
    x_pair = model.pair_features(pairs)
    model.weights = _fit_heads(x_par, labels, x_pair, stances, len(taxonomy.stances), C, weights)
    return _with_thresholds(model, dev)


def _weighted_rows(gold: Sequence[Article], silver: Sequence[Article], silver_weight: float, taxonomy: Taxonomy):
    """Rows of gold then silver articles, with a sample weight for paragraph rows and one for pair rows."""
    texts, labels, pairs, stances = _training_rows([*gold, *silver], taxonomy)
    n_gold_texts = sum(len(a.paragraphs) for a in gold)
    n_gold_pairs = sum(len(p.stance) for a in gold for p in a.paragraphs)
    text_weight = np.where(np.arange(len(texts)) < n_gold_texts, 1.0, silver_weight)
    pair_weight = np.where(np.arange(len(pairs)) < n_gold_pairs, 1.0, silver_weight)
    return texts, labels, pairs, stances, (text_weight, pair_weight)


def _training_rows(articles: Sequence[Article], taxonomy: Taxonomy):
    texts, labels, pairs, stances = [], [], [], []
    for article in articles:
        for paragraph in article.paragraphs:
            texts.append(paragraph.text)
            labels.append([n in paragraph.types for n in taxonomy.type_names])
            for target, stance in paragraph.stance.items():
                pairs.append((target, paragraph.text))
                stances.append(taxonomy.stances.index(stance))
    if not texts:
        raise ValueError("No training paragraphs: the training data is empty.")
    return texts, np.array(labels, dtype=bool), pairs, np.array(stances, dtype=int)


def _fit_heads(
    x_par, labels: np.ndarray, x_pair, stances: np.ndarray, num_stances: int, C: float, weights=(None, None)
) -> dict:
    text_weight, pair_weight = weights
    type_coef = np.zeros((labels.shape[1], x_par.shape[1]), dtype=np.float32)
    type_intercept = np.full(labels.shape[1], ABSENT_LOGIT, dtype=np.float32)
    for j in range(labels.shape[1]):
        if labels[:, j].any() and not labels[:, j].all():
            clf = LogisticRegression(C=C, class_weight="balanced", max_iter=2000).fit(
                x_par, labels[:, j], sample_weight=text_weight
            )
            type_coef[j], type_intercept[j] = clf.coef_[0], clf.intercept_[0]
    stance_coef = np.zeros((num_stances, x_pair.shape[1]), dtype=np.float32)
    stance_intercept = np.full(num_stances, ABSENT_LOGIT, dtype=np.float32)
    if len(np.unique(stances)) > 1:
        clf = LogisticRegression(C=C, class_weight="balanced", max_iter=2000).fit(
            x_pair, stances, sample_weight=pair_weight
        )
        coef = clf.coef_ if len(clf.classes_) > 2 else np.vstack([-clf.coef_[0] / 2, clf.coef_[0] / 2])
        intercept = (
            clf.intercept_ if len(clf.classes_) > 2 else np.array([-clf.intercept_[0] / 2, clf.intercept_[0] / 2])
        )
        for row, cls in enumerate(clf.classes_):
            stance_coef[cls], stance_intercept[cls] = coef[row], intercept[row]
    elif len(stances):
        stance_intercept[stances[0]] = 0.0
    return {
        "type_coef": type_coef,
        "type_intercept": type_intercept,
        "stance_coef": stance_coef,
        "stance_intercept": stance_intercept,
    }


def _placeholder_weights(taxonomy: Taxonomy) -> dict[str, np.ndarray]:
    """Zero weights so the model can featurise before it is fitted."""
    width = len(taxonomy.type_names)
    return {
        "type_coef": np.zeros((width, 1)),
        "type_intercept": np.zeros(width),
        "stance_coef": np.zeros((3, 1)),
        "stance_intercept": np.zeros(3),
    }


def _with_thresholds(model: LinearLabeler, dev: Sequence[Article]) -> LinearLabeler:
    model.thresholds = tune_thresholds(model, list(dev))
    return model
