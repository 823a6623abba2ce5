"""The local stand-ins of the services the platform talks to: a QuickSight backend answering boto3 calls from SQLite,
the offline dashboard viewer, and stand-in HTTP APIs for the pull sources. Production code paths never need them."""
