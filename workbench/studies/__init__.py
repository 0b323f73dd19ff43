"""The studies: thin orchestrators behind the verbs, over the pure functions of ``statistics``.

* ``prediction``   ``predict``, ``stream_predictions`` (``workbench predict``)
* ``evaluation``   ``evaluate``, ``write_evaluation`` (``workbench evaluate``)
* ``explanation``  ``explain_dataset``, ``write_study`` (``workbench explain``)
* ``comparison``   ``compare_predictions`` (pure), ``compare``, ``write_comparison`` (``workbench compare``)
* ``cost``         throughput, latency, peak memory in a fresh process
* ``qa_prediction``, ``qa_explanation``, ``qa_comparison``   the same for question answering:
  ``predict_qa``, ``write_qa_evaluation``, ``explain_qa_dataset``, ``compare_qa``, ``write_qa_comparison``
* ``generation_prediction``, ``generation_explanation``, ``generation_comparison``   and for generation:
  ``predict_generations``, ``write_generation_evaluation``, ``explain_generations``, ``compare_generations``

Every verb takes references or loaded records (``data.as_dataset``, ``models.as_model``).
Module names differ from the verbs they hold, so importing a module never shadows a verb.
"""
