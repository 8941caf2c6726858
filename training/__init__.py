"""Making models: data checks, training loops and the ``stancewire train`` pipeline."""
