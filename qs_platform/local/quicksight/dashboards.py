"""Dashboards and their versions: each create or update adds a version (failed in strict mode when a dataset it
declares does not exist); the published one moves only on UpdateDashboardPublishedVersion."""

from __future__ import annotations

from qs_platform.local.quicksight.context import (
    ApiError,
    Ctx,
    Handler,
    ensure_absent,
    not_found,
    requested_dashboard,
    require,
)
from qs_platform.local.quicksight.pagination import paginate
from qs_platform.local.quicksight.permissions import apply_permission_changes

_VERSION_SPEC_FIELDS = (
    "Name",
    "Definition",
    "SourceEntity",
    "Parameters",
    "VersionDescription",
    "DashboardPublishOptions",
    "ThemeArn",
    "ValidationStrategy",
)


def _declared_data_sets(spec: dict) -> list[tuple[str, str]]:
    """(identifier, dataset ARN) pairs a dashboard version uses, from its Definition or template."""
    if "Definition" in spec:
        return [(d["Identifier"], d["DataSetArn"]) for d in spec["Definition"]["DataSetIdentifierDeclarations"]]
    template = spec.get("SourceEntity", {}).get("SourceTemplate", {})
    return [(r["DataSetPlaceholder"], r["DataSetArn"]) for r in template.get("DataSetReferences", [])]


def _version_errors(ctx: Ctx, declared: list[tuple[str, str]]) -> list[dict]:
    if not ctx.strict:
        return list(ctx.version_errors)
    return list(ctx.version_errors) + [
        {"Type": "DATA_SET_NOT_FOUND", "Message": f"Data set {arn} (identifier {ident!r}) does not exist."}
        for ident, arn in declared
        if ctx.tx.get(arn) is None
    ]


def _add_version(ctx: Ctx, dashboard_arn: str, dashboard: dict, p: dict) -> dict:
    number = dashboard["LatestVersionNumber"] + 1
    dashboard["LatestVersionNumber"] = number
    spec = {k: p[k] for k in _VERSION_SPEC_FIELDS if k in p}
    declared = _declared_data_sets(spec)
    errors = _version_errors(ctx, declared)
    version = {
        "Arn": f"{dashboard_arn}/version/{number}",
        "VersionNumber": number,
        "Spec": spec,
        "DataSetArns": [arn for _, arn in declared],
        "FinalStatus": "CREATION_FAILED" if errors else "CREATION_SUCCESSFUL",
        "Errors": errors,
        "CreatedTime": ctx.now,
    }
    ctx.tx.insert(version["Arn"], "dashboard_version", dashboard_arn, version, pending_reads=ctx.pending_reads)
    return version


def _version_status(version: dict, in_progress: bool) -> str:
    return "CREATION_IN_PROGRESS" if in_progress else version["FinalStatus"]


def _select_version(ctx: Ctx, dashboard_arn: str, dashboard: dict, p: dict) -> tuple[dict, bool]:
    """The version a describe asks for (published by default), observed once."""
    if "VersionNumber" in p:
        number = p["VersionNumber"]
    elif p.get("AliasName", "$PUBLISHED") == "$PUBLISHED":
        number = dashboard["PublishedVersionNumber"]
    elif p["AliasName"] == "$LATEST":
        number = max(v["VersionNumber"] for v, _ in ctx.tx.children("dashboard_version", dashboard_arn))
    else:
        raise not_found("Dashboard alias", f"{p['AliasName']} of {dashboard['DashboardId']}")
    arn = f"{dashboard_arn}/version/{number}"
    require(ctx, arn, "Dashboard version", f"{dashboard['DashboardId']}/{number}")
    return ctx.tx.observe(arn)


def _version_view(version: dict, in_progress: bool) -> dict:
    spec = version["Spec"]
    view = {
        "CreatedTime": version["CreatedTime"],
        "Errors": [] if in_progress else version["Errors"],
        "VersionNumber": version["VersionNumber"],
        "Status": _version_status(version, in_progress),
        "Arn": version["Arn"],
        "DataSetArns": version["DataSetArns"],
        "Sheets": [
            {"SheetId": s["SheetId"], **({"Name": s["Name"]} if "Name" in s else {})}
            for s in spec.get("Definition", {}).get("Sheets", [])
        ],
    }
    if source_arn := spec.get("SourceEntity", {}).get("SourceTemplate", {}).get("Arn"):
        view["SourceEntityArn"] = source_arn
    if "VersionDescription" in spec:
        view["Description"] = spec["VersionDescription"]
    if "ThemeArn" in spec:
        view["ThemeArn"] = spec["ThemeArn"]
    return view


def _version_summary(version: dict, in_progress: bool) -> dict:
    full = _version_view(version, in_progress)
    keys = ("Arn", "CreatedTime", "VersionNumber", "Status", "SourceEntityArn", "Description")
    return {k: full[k] for k in keys if k in full}


def _dashboard_summary(dashboard: dict) -> dict:
    keys = (
        "Arn",
        "DashboardId",
        "Name",
        "CreatedTime",
        "LastUpdatedTime",
        "PublishedVersionNumber",
        "LastPublishedTime",
    )
    return {k: dashboard[k] for k in keys}


def _create_dashboard(ctx: Ctx, p: dict) -> dict:
    ident = p["DashboardId"]
    arn = ctx.arn("dashboard", ident)
    ensure_absent(ctx, arn, "Dashboard", ident)
    dashboard = {
        "Arn": arn,
        "DashboardId": ident,
        "Name": p["Name"],
        "CreatedTime": ctx.now,
        "LastUpdatedTime": ctx.now,
        "LastPublishedTime": ctx.now,
        "PublishedVersionNumber": 1,
        "LatestVersionNumber": 0,
        "Permissions": p.get("Permissions", []),
        "LinkSharingConfiguration": p.get("LinkSharingConfiguration", {"Permissions": []}),
        "LinkEntities": p.get("LinkEntities", []),
    }
    ctx.tx.insert(arn, "dashboard", ctx.scope, dashboard)
    version = _add_version(ctx, arn, dashboard, p)
    ctx.tx.update(arn, dashboard)
    ctx.tx.set_tags(arn, p.get("Tags", []))
    status = _version_status(version, in_progress=ctx.strict)
    return {"Arn": arn, "VersionArn": version["Arn"], "DashboardId": ident, "CreationStatus": status}


def _describe_dashboard(ctx: Ctx, p: dict) -> dict:
    arn, dashboard = requested_dashboard(ctx, p)
    version = _version_view(*_select_version(ctx, arn, dashboard, p))
    keys = ("DashboardId", "Arn", "Name", "CreatedTime", "LastPublishedTime", "LastUpdatedTime", "LinkEntities")
    return {"Dashboard": {**{k: dashboard[k] for k in keys}, "Version": version}}


def _describe_dashboard_definition(ctx: Ctx, p: dict) -> dict:
    arn, dashboard = requested_dashboard(ctx, p)
    version, in_progress = _select_version(ctx, arn, dashboard, p)
    spec = version["Spec"]
    response = {
        "DashboardId": dashboard["DashboardId"],
        "Name": spec.get("Name", dashboard["Name"]),
        "ResourceStatus": _version_status(version, in_progress),
        "Errors": [] if in_progress else version["Errors"],
    }
    for key in ("Definition", "ThemeArn", "DashboardPublishOptions"):
        if key in spec:
            response[key] = spec[key]
    return response


def _update_dashboard(ctx: Ctx, p: dict) -> dict:
    """Adds a version; the published version stays where it is until UpdateDashboardPublishedVersion."""
    arn, dashboard = requested_dashboard(ctx, p)
    version = _add_version(ctx, arn, dashboard, p)
    dashboard.update(Name=p["Name"], LastUpdatedTime=ctx.now)
    ctx.tx.update(arn, dashboard)
    status = _version_status(version, in_progress=ctx.strict)
    return {"Arn": arn, "VersionArn": version["Arn"], "DashboardId": dashboard["DashboardId"], "CreationStatus": status}


def _update_dashboard_published_version(ctx: Ctx, p: dict) -> dict:
    arn, dashboard = requested_dashboard(ctx, p)
    number = p["VersionNumber"]
    version = require(ctx, f"{arn}/version/{number}", "Dashboard version", f"{dashboard['DashboardId']}/{number}")
    if version["FinalStatus"] == "CREATION_FAILED":
        raise ApiError("InvalidParameterValueException", f"Version {number} failed to create and cannot be published.")
    dashboard.update(PublishedVersionNumber=number, LastPublishedTime=ctx.now, LastUpdatedTime=ctx.now)
    ctx.tx.update(arn, dashboard)
    return {"DashboardId": dashboard["DashboardId"], "DashboardArn": arn}


def _list_dashboards(ctx: Ctx, p: dict) -> dict:
    summaries = [_dashboard_summary(body) for body, _ in ctx.tx.children("dashboard", ctx.scope)]
    page, token = paginate(summaries, p)
    return {"DashboardSummaryList": page, **token}


def _list_dashboard_versions(ctx: Ctx, p: dict) -> dict:
    arn, _ = requested_dashboard(ctx, p)
    summaries = [_version_summary(v, pending) for v, pending in ctx.tx.children("dashboard_version", arn)]
    page, token = paginate(summaries, p)
    return {"DashboardVersionSummaryList": page, **token}


def _delete_dashboard(ctx: Ctx, p: dict) -> dict:
    """Deletes the dashboard, or with VersionNumber only that (unpublished) version."""
    arn, dashboard = requested_dashboard(ctx, p)
    if "VersionNumber" in p:
        number = p["VersionNumber"]
        version_arn = f"{arn}/version/{number}"
        require(ctx, version_arn, "Dashboard version", f"{dashboard['DashboardId']}/{number}")
        if number == dashboard["PublishedVersionNumber"]:
            raise ApiError("InvalidParameterValueException", f"Version {number} is published and cannot be deleted.")
        ctx.tx.delete(version_arn)
    else:
        ctx.tx.delete(arn)
    return {"Arn": arn, "DashboardId": dashboard["DashboardId"]}


def _describe_dashboard_permissions(ctx: Ctx, p: dict) -> dict:
    arn, dashboard = requested_dashboard(ctx, p)
    return {
        "DashboardId": dashboard["DashboardId"],
        "DashboardArn": arn,
        "Permissions": dashboard["Permissions"],
        "LinkSharingConfiguration": dashboard["LinkSharingConfiguration"],
    }


def _update_dashboard_permissions(ctx: Ctx, p: dict) -> dict:
    arn, dashboard = requested_dashboard(ctx, p)
    dashboard["Permissions"] = apply_permission_changes(
        dashboard["Permissions"], p.get("GrantPermissions", []), p.get("RevokePermissions", [])
    )
    link = dashboard["LinkSharingConfiguration"]
    link["Permissions"] = apply_permission_changes(
        link.get("Permissions", []), p.get("GrantLinkPermissions", []), p.get("RevokeLinkPermissions", [])
    )
    ctx.tx.update(arn, dashboard)
    return _describe_dashboard_permissions(ctx, p)


OPERATIONS: dict[str, tuple[Handler, int]] = {  # operation -> (handler, HTTP status AWS answers with on success)
    "CreateDashboard": (_create_dashboard, 202),
    "DescribeDashboard": (_describe_dashboard, 200),
    "DescribeDashboardDefinition": (_describe_dashboard_definition, 200),
    "UpdateDashboard": (_update_dashboard, 202),
    "UpdateDashboardPublishedVersion": (_update_dashboard_published_version, 200),
    "ListDashboards": (_list_dashboards, 200),
    "ListDashboardVersions": (_list_dashboard_versions, 200),
    "DeleteDashboard": (_delete_dashboard, 200),
    "DescribeDashboardPermissions": (_describe_dashboard_permissions, 200),
    "UpdateDashboardPermissions": (_update_dashboard_permissions, 200),
}
