"""A local stand-in for Amazon QuickSight that answers real ``boto3.client("quicksight")`` calls.

The backend is a botocore ``before-call`` handler (backend.py): botocore validates and serialises every request
against the real service model first, then the handler answers it from a SQLite store (store.py) and returns
``(http_response_stub, parsed_response)`` (responses.py) so no HTTP request is ever made. Errors come back as
error responses, so botocore itself raises its modeled exception classes
(``client.exceptions.ResourceNotFoundException`` ...), exactly as against AWS.

Because no request reaches botocore's endpoint, botocore's own retry loop never runs locally:
an injected ``ThrottlingException`` reaches the caller on the first attempt.

One module per kind of resource answers its operations: data_sources.py, datasets.py, ingestions.py,
dashboards.py (with their versions), tags.py; context.py is what each handler is given, pagination.py and
permissions.py what several share, codec.py how the store keeps values as JSON.
"""

from qs_platform.local.quicksight.backend import LocalQuickSightBackend, local_quicksight_client

__all__ = ["LocalQuickSightBackend", "local_quicksight_client"]
