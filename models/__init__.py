"""What a model *is*: the taxonomy, the data schema, classifiers, summarisers, LLM backends, save/load.

Nothing here imports :mod:`stancewire.training`, :mod:`stancewire.inference` or :mod:`stancewire.eval`.
"""
