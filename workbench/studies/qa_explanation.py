"""An explanation study of a question-answering dataset: the classifiers' study, on answers.

``explain_qa_dataset`` is what ``workbench explain`` runs on a question-answering model: it
picks questions spread over the dataset, explains each model answer with every method
(``explainers.explain_qa``: the question's and the context's words toward the predicted
span's probability), and scores them as ``studies.explanation`` scores a classifier's:
faithfulness against random words (``statistics.qa_faithfulness``), agreement between
methods, stability under further seeds, and each method's checks. ``write_study`` writes it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..datasets.loading import as_dataset
from ..explainers import explain_qa
from ..models import LoadOptions, as_model
from ..models.ray_engine import RayOptions, split_pool
from ..records import ExplanationStudy
from ..records.qa_dataset import QADataset
from ..records.task import check_task
from ..statistics.qa_faithfulness import score_qa_faithfulness
from .explanation import explainer_on, pick_documents, run_study, study_methods

# LIME at its question-answering budget (explainers.qa.QA_NUM_SAMPLES) and SHAP took 28 s and 17 s a BBC question here
QA_METHODS = ("lime", "shap", "occlusion", "integrated-gradients")


def explain_qa_dataset(
    model,
    dataset: str | QADataset,
    *,
    methods: Sequence[str] = QA_METHODS,
    n: int = 5,
    seed: int = 0,
    num_samples: int | None = None,
    stability_seeds: int = 1,
    max_answer_len: int = 30,
    doc_stride: int | None = None,
    max_seq_len: int | None = None,
    cache: bool = True,
    options: LoadOptions | None = None,
    progress: bool | None = None,
    engine: str | RayOptions = "local",
) -> ExplanationStudy:
    """Explain the model's answers to ``n`` questions of ``dataset`` with each of ``methods`` and score the explanations.

    The decoding options are ``model.answer``'s; ``stability_seeds`` and ``engine`` (a Ray actor
    pool explains the questions; faithfulness is scored here) as in ``explain_dataset``.
    """
    methods = study_methods(methods, stability_seeds)
    dataset = as_dataset(dataset)
    model, ray_options = split_pool(as_model(model, options), engine)
    check_task(model, dataset)
    rows = pick_documents(dataset, n)
    ids = tuple(dataset.ids[i] for i in rows)
    questions, contexts = [dataset.questions[i] for i in rows], [dataset.contexts[i] for i in rows]
    return run_study(
        model, dataset.name, ids, tuple(contexts), methods, seed=seed, stability_seeds=stability_seeds,
        explain_with=explainer_on(explain_qa, model, [questions, contexts], ids, ray_options, progress=progress, num_samples=num_samples,
                                  cache=cache, max_answer_len=max_answer_len, doc_stride=doc_stride, max_seq_len=max_seq_len),
        faithfulness_of=lambda records: score_qa_faithfulness(model, records, questions, contexts, seed=seed),
    )
