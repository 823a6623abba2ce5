"""Deploy compiled dashboard Definitions idempotently (compile/validate live in quicksight/definition/).

Why a spec-hash tag here, when datasets use describe-and-compare: DescribeDashboardDefinition returns the
Definition normalised (defaults filled in, options reordered), so comparing it with what we send would find a
difference every time and publish a new version on every run. The tag holds a hash of our request and is only
written once a version succeeded and was published, so a failed version is retried by the next run.
Permissions and the ManagedBy tag are described and compared like everything else.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from qs_platform.config.models import Dashboard
from qs_platform.quicksight.common import (
    MANAGED_BY,
    SPEC_HASH_TAG,
    Outcome,
    arn,
    describe_or_none,
    ensure_permissions,
    ensure_tags,
    error_code,
    poll,
    spec_hash,
    tag_value,
)
from qs_platform.quicksight.definition import (
    DashboardError,
    compile_definition,
    validate_request,
)

__all__ = ["DashboardError", "compile_definition", "dashboard_request", "ensure_dashboard", "validate_request"]

DASHBOARD_VIEWER_ACTIONS = (
    "quicksight:DescribeDashboard",
    "quicksight:ListDashboardVersions",
    "quicksight:QueryDashboard",
)
DASHBOARD_OWNER_ACTIONS = DASHBOARD_VIEWER_ACTIONS + (
    "quicksight:UpdateDashboard",
    "quicksight:DeleteDashboard",
    "quicksight:DescribeDashboardPermissions",
    "quicksight:UpdateDashboardPermissions",
    "quicksight:UpdateDashboardPublishedVersion",
)
FINISHED_VERSION_STATUSES = ("CREATION_SUCCESSFUL", "UPDATE_SUCCESSFUL", "CREATION_FAILED", "UPDATE_FAILED")


# ---- deploy -------------------------------------------------------------------------------------------------


def dashboard_request(dashboard: Dashboard, account_id: str, definition: dict) -> dict:
    request = {
        "AwsAccountId": account_id,
        "DashboardId": dashboard.id,
        "Name": dashboard.name,
        "Definition": definition,
    }
    validate_request("CreateDashboard", request)
    return request


def describe_version_errors(errors: list[dict]) -> str:
    """`Version.Errors` spelled out: type, message and the paths of the entities it names."""
    lines = []
    for error in errors:
        paths = [entity.get("Path", "?") for entity in error.get("ViolatedEntities", [])]
        at = f" (at {', '.join(paths)})" if paths else ""
        lines.append(f"{error.get('Type', 'UNKNOWN')}: {error.get('Message', 'no message')}{at}")
    return "; ".join(lines) or "no error details"


def wait_for_version(
    client,
    account_id: str,
    dashboard_id: str,
    version: int,
    *,
    timeout: float = 300,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """Poll a dashboard version out of CREATION_IN_PROGRESS; DashboardError with its Version.Errors when it failed."""
    described = poll(
        lambda: client.describe_dashboard(AwsAccountId=account_id, DashboardId=dashboard_id, VersionNumber=version)[
            "Dashboard"
        ],
        lambda d: d["Version"]["Status"] in FINISHED_VERSION_STATUSES,
        what=f"dashboard {dashboard_id} version {version}",
        timeout=timeout,
        sleep=sleep,
    )
    status = described["Version"]["Status"]
    if status.endswith("FAILED"):
        raise DashboardError(
            f"dashboard {dashboard_id} version {version} {status}: {describe_version_errors(described['Version'].get('Errors', []))}"
        )
    return described


def _version_of(version_arn: str) -> int:
    return int(version_arn.rsplit("/", 1)[-1])


def ensure_dashboard(
    client,
    account_id: str,
    region: str,
    request: dict,
    *,
    permissions: list[dict] | None = None,
    timeout: float = 300,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Create or update, wait for the version, publish it, record the spec hash; then permissions and tags.

    No mutating call when the recorded hash matches and permissions and tags are as wanted.
    """
    dashboard_id = request["DashboardId"]
    resource_arn = arn(account_id, region, "dashboard", dashboard_id)
    ident = {"AwsAccountId": account_id, "DashboardId": dashboard_id}
    wanted_hash, changes, response = spec_hash(request), [], {}
    if describe_or_none(client.describe_dashboard, **ident) is None:
        try:
            response = client.create_dashboard(
                **request, Tags=[MANAGED_BY], **({"Permissions": permissions} if permissions else {})
            )
        except Exception as error:
            if error_code(error) != "ResourceExistsException":
                raise
            response = None  # created meanwhile by a concurrent deployment: updated below like any existing one
        if response is not None:
            wait_for_version(
                client, account_id, dashboard_id, _version_of(response["VersionArn"]), timeout=timeout, sleep=sleep
            )
            client.tag_resource(ResourceArn=resource_arn, Tags=[{"Key": SPEC_HASH_TAG, "Value": wanted_hash}])
            return Outcome(resource_arn, "created", ("created",), response)
        response = {}
    tags = client.list_tags_for_resource(ResourceArn=resource_arn).get("Tags", [])
    if tag_value(tags, SPEC_HASH_TAG) != wanted_hash:
        response = client.update_dashboard(**request)
        version = _version_of(response["VersionArn"])
        wait_for_version(client, account_id, dashboard_id, version, timeout=timeout, sleep=sleep)
        client.update_dashboard_published_version(**ident, VersionNumber=version)
        client.tag_resource(ResourceArn=resource_arn, Tags=[{"Key": SPEC_HASH_TAG, "Value": wanted_hash}])
        changes.append("Definition")
    if ensure_permissions(
        client.describe_dashboard_permissions, client.update_dashboard_permissions, permissions or [], **ident
    ):
        changes.append("Permissions")
    if ensure_tags(client, resource_arn, [MANAGED_BY], current=tags):
        changes.append("Tags")
    return Outcome(resource_arn, "updated" if changes else "unchanged", tuple(changes), response)
