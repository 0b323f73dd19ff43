"""The statistics: pure functions over records, no model loading and no torch.

* ``metrics``        classification metrics and seeded bootstrap intervals
* ``faithfulness``   comprehensiveness and sufficiency against random words, agreement, stability
* ``paired``         two models on the same rows: McNemar's test, paired bootstrap; slices
* ``perturbations``  counterfactual edits (gender swap, typos, case) and prediction flip rates
"""
