"""Reliability: faults of the machine and the services, recovery, config that cannot inject, secrets kept out."""
