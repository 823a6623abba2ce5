"""Tests against moto (S3, Glue, Athena) and the local QuickSight backend: AWS faults."""
