"""Evidence: labels, predictions and scores encoded once, as rows or as weighted cells.

``core`` builds :class:`~pytest_modelgate.evidence.core.Evidence` from rows; ``grouped`` from a
GROUP BY's cells (and compresses rows into cells); ``slicing`` says which rows form each slice or
fairness group.
"""
