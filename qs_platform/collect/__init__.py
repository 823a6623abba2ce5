"""`qs-platform collect`: an HTTP endpoint buffering posted JSON events into landing files, like Amazon Data
Firehose behind API Gateway. Knows nothing of Dagster: the files it lands go through the source's landing sensor."""
