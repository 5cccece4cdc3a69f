"""Know what the gates miss: weak-slice discovery (:mod:`.scan`) and mutation testing of the gate
spec (:mod:`.mutate`, with the fault catalogue in :mod:`.mutants`). Both are reports: they never
change a run's release decision."""
