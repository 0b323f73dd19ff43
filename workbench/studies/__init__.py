"""The studies: thin orchestrators behind the verbs, over the pure functions of ``statistics``.

* ``prediction``   ``predict``, ``stream_predictions`` (``workbench predict``)
* ``evaluation``   ``evaluate``, ``write_evaluation`` (``workbench evaluate``)
* ``explanation``  ``explain_dataset``, ``write_study`` (``workbench explain``)
* ``comparison``   ``compare_predictions`` (pure), ``compare``, ``write_comparison`` (``workbench compare``)
* ``cost``         throughput, latency, peak memory in a fresh process
* ``answering``, ``answer_explanation``, ``answer_comparison``   the same for question answering:
  ``predict_answers``, ``write_qa_evaluation``, ``explain_questions``, ``compare_answers``, ``write_answer_comparison``

Every verb takes references or loaded records (``data.as_dataset``, ``models.as_model``).
Module names differ from the verbs they hold, so importing a module never shadows a verb.
"""
