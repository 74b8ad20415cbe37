"""The probe: the only part of keras-inspector that runs a model on data (for `inspect diagnose`).

`run.probe` trains in-memory copies of the model on the user's sample and returns `Measurements`
(measurements.py, free of TensorFlow, what the data rules read). Nothing here imports the rules,
and importing this package imports neither TensorFlow nor numpy.
"""
