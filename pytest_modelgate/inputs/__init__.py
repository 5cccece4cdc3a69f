"""Inputs: reading test data and models, and grouped engines that count rows where they live.

``loading`` reads tables and models and runs predictions; ``grouping`` plans the GROUP BY of a
grouped engine; ``engines`` runs it (memory, stream, DuckDB, Spark).
"""
