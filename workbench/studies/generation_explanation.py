"""Explain a generator's outputs on a dataset token by token, score each method's faithfulness, and write the files.

:func:`explain_generations` picks documents spread over the dataset (``explanation.pick_documents``),
generates each output once (``Generator.generate_ids`` with the settings given), explains it
with each method of ``explainers.generation`` and scores each method against random words
(``statistics.token_faithfulness``). :func:`write_token_study` writes token_attributions.jsonl
(one record per document and method), faithfulness.json and index.html (escaped heatmaps),
each atomically. The same seed and settings give byte-identical files.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from ..datasets.loading import as_dataset
from ..explainers.contrast import check_study_contrast, one_each
from ..explainers.generation import check_generator, token_explainer
from ..io import atomic_open, write_json, write_jsonl
from ..models import LoadOptions, as_model
from ..models.ray_engine import RayModel, RayOptions, split_pool
from ..records.generation import GenerationSettings
from ..records.generation_dataset import GenerationDataset
from ..records.token_attribution import TokenAttribution, TokenStudy
from ..records.task import check_task
from ..statistics.token_faithfulness import token_faithfulness
from ..words import whole_text
from .explanation import pick_documents

DEFAULT_METHODS = ("occlusion", "integrated-gradients")


def explain_generations(model, data: str | GenerationDataset, *, methods: Sequence[str] = DEFAULT_METHODS, n: int = 5, seed: int = 0,
                        num_samples: int | None = None, settings: GenerationSettings = GenerationSettings(), options: LoadOptions | None = None,
                        progress: bool | None = None, engine: str | RayOptions = "local",
                        contrast: str | None = None) -> TokenStudy:
    """Explain ``n`` documents' generated outputs with each of ``methods`` and score each method's faithfulness.

    ``contrast="runner-up"`` (``RUNNER_UP``) explains each token rather than the one the model ranked next at its step,
    and scores the faithfulness of that (the documents are picked here, so no contrast text can be given for them).

    ``engine="ray"`` (or RayOptions, or a RayModel as the model) generates and explains the
    documents on a Ray actor pool, a batch of documents per actor call; faithfulness is scored here.

    Examples
    --------
    >>> study = explain_generations("demo:headline-bbc", "bbc-headlines:test", n=3)
    >>> study.faithfulness["occlusion"].beats_random
    True
    """
    generator, ray_options = split_pool(as_model(model, options), engine)
    dataset = as_dataset(data)
    check_task(generator, dataset)
    check_generator(generator)
    check_study_contrast(contrast, ranked="each token rather than the model's next choice",
                         instead="explain chosen sources against contrast outputs")
    methods = tuple(dict.fromkeys(methods))
    for method in methods:  # an unknown method is one line before anything is generated
        token_explainer(method, generator, num_samples=num_samples, settings=settings)
    rows = pick_documents(dataset, n)
    ids, texts = [dataset.ids[i] for i in rows], [dataset.texts[i] for i in rows]
    pool = RayModel(generator, ray_options) if ray_options else None
    outputs = pool.map_rows("generate_ids", [[whole_text(t) for t in texts]], settings=settings, progress=False) if pool else \
        generator.generate_ids([whole_text(t) for t in texts], settings)
    common = {"num_samples": num_samples, "settings": settings, "contrast": contrast}
    records, seconds = {}, {}
    for method in methods:
        start = time.perf_counter()
        records[method] = tuple(pool.map_rows(explain_tokens, [ids, texts, outputs], method=method, **common) if pool else
                                explain_tokens(generator, ids, texts, outputs, method=method, progress=progress, **common))
        seconds[method] = time.perf_counter() - start
    return TokenStudy(model=generator.ref, data=dataset.name, ids=tuple(ids), references=tuple(dataset.references[i] for i in rows), methods=methods,
                      records=records, faithfulness={m: token_faithfulness(generator, records[m], seed=seed) for m in methods}, seconds=seconds,
                      generation=settings, seed=seed, contrast=contrast)


def explain_tokens(generator, ids: Sequence[str], texts: Sequence[str], outputs: Sequence[Sequence[int]], *, method: str, num_samples: int | None = None,
                   settings: GenerationSettings = GenerationSettings(), progress: bool | None = False,
                   contrast: str | Sequence[str] | None = None) -> list[TokenAttribution]:
    """Each text's output (its generated token ids) explained token by token with ``method``; one record per text, in order.

    ``contrast`` explains each token rather than another (``explainers.generation.foils_of``): ``"runner-up"`` or a
    contrast output for every text, or one per text. A module-level function, so a Ray actor can run it on its batch
    of documents.
    """
    from tqdm.auto import tqdm

    foils = one_each(contrast, len(texts), what="contrast outputs", item="source")
    explainer = token_explainer(method, generator, num_samples=num_samples, settings=settings)
    bar = tqdm(outputs, desc=method, unit="doc", disable=not progress)
    return [explainer.explain(str(doc_id), text, [int(t) for t in output], contrast=foil)
            for doc_id, text, output, foil in zip(ids, texts, bar, foils)]


def write_token_study(out: str | os.PathLike[str], study: TokenStudy) -> dict[str, Path]:
    """Write token_attributions.jsonl, token_attributions.csv (every heatmap's numbers), faithfulness.json and
    index.html into ``out``."""
    import pandas

    from ..render.generation import token_study_page

    out = Path(out)
    names = ("token_attributions.jsonl", "token_attributions.csv", "faithfulness.json", "index.html")
    paths = {name: out / name for name in names}
    records = [study.records[m][i] for i in range(len(study.ids)) for m in study.methods]
    write_jsonl(paths["token_attributions.jsonl"], (record.to_dict() for record in records))
    with atomic_open(paths["token_attributions.csv"]) as handle:
        columns = ["id", "method", "token_index", "token", "probability", "row", "source", "score"]
        columns += ["contrast", "log_ratio"] if any(record.contrast is not None for record in records) else []
        table = pandas.DataFrame([row for record in records for row in record.table()], columns=columns)
        table.to_csv(handle, index=False, lineterminator="\n")
    write_json(paths["faithfulness.json"], study.to_dict())
    with atomic_open(paths["index.html"]) as handle:
        handle.write(token_study_page(study, numbers="token_attributions.csv"))
    return paths
