"""The YAML runner: a spec's session (loading once, running gates), lineage, the stored baseline."""
