"""Running models: the Python API, folder labelling and the HTTP service."""
