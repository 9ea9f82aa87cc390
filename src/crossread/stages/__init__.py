"""One module per pipeline stage, in pipeline order: ingest, clean, segment, stories, reuse, entities, quotes,
figures, claims, brief. Each exposes small public functions over the records in :mod:`crossread.model`."""
