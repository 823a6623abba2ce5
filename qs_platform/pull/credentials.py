"""An API key from the environment or AWS Secrets Manager, and the HTTP client that sends it.

The key is only ever held in memory: it is not logged, not put in metadata, and every message of the pull passes
through a `Redactor` that knows it.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable

from qs_platform.config.acquisition import Credentials, Pull
from qs_platform.pull.http import HttpClient, PullError, Redactor


class CredentialError(PullError):
    pass


def read_secret(
    credentials: Credentials, *, env: dict[str, str] | None = None, secrets_client=None, region: str | None = None
) -> str:
    """The secret value; errors name where it was looked for, never what it is."""
    env = os.environ if env is None else env
    if credentials.env:
        value = env.get(credentials.env)
        if not value:
            raise CredentialError(f"the environment variable {credentials.env} (the API key) is not set")
        return value
    if secrets_client is None:
        import boto3

        secrets_client = boto3.client(
            "secretsmanager", region_name=region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        )
    try:
        text = secrets_client.get_secret_value(SecretId=credentials.secret_id)["SecretString"]
    except Exception as error:  # botocore's ClientError and friends: the message names the secret id, not its value
        raise CredentialError(
            f"Secrets Manager secret {credentials.secret_id!r} cannot be read: {type(error).__name__}: {error}"
        ) from None
    if not credentials.secret_key:
        return text
    try:
        value = json.loads(text)[credentials.secret_key]
    except (ValueError, KeyError, TypeError):
        raise CredentialError(
            f"Secrets Manager secret {credentials.secret_id!r} has no JSON key {credentials.secret_key!r}"
        ) from None
    if not isinstance(value, str) or not value:
        raise CredentialError(
            f"Secrets Manager secret {credentials.secret_id!r}: {credentials.secret_key!r} is not a non-empty string"
        )
    return value


def http_client(
    spec: Pull,
    secret: str | None,
    *,
    on_retry: Callable[[str], None] = lambda m: None,
    max_wait_seconds: float = 60.0,
    initial_backoff: float = 0.5,
) -> HttpClient:
    auth, headers = None, {}
    kind = spec.credentials.kind if spec.credentials else None
    if kind == "basic":
        auth = (secret, "")  # Chargebee: the API key is the user name, the password is empty
    elif kind == "bearer":
        headers["Authorization"] = f"Bearer {secret}"
    elif kind == "header":
        headers[spec.credentials.header] = secret
    return HttpClient(
        auth=auth,
        headers=headers,
        timeout=spec.timeout_seconds,
        max_attempts=spec.max_attempts,
        max_retry_seconds=spec.max_retry_seconds,
        max_wait_seconds=max_wait_seconds,
        initial_backoff=initial_backoff,
        redact=Redactor([secret, base64.b64encode(f"{secret}:".encode()).decode()] if secret else []),
        on_retry=on_retry,
    )
