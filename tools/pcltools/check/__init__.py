"""tools/pcl check and validate: a series checked patch by patch.

model (what is found), scratch (the scratch tree), checkpatch, apply,
build (a build at every patch), kunitdelta (KUnit at the tip and the
base), maintainers, run (the pipeline), verdict, report (the wording of
the report), cli (the commands) and selftest (make test's validate
layer)."""
