"""Tags of data sources, datasets and dashboards, by ARN."""

from __future__ import annotations

from qs_platform.local.quicksight.context import ApiError, Ctx, Handler, not_found

_TAGGABLE_TYPES = ("datasource", "dataset", "dashboard")


def _taggable(ctx: Ctx, arn: str) -> str:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "quicksight"] or parts[5].count("/") != 1:
        raise ApiError("InvalidParameterValueException", f"{arn} is not a QuickSight resource ARN.")
    _, _, _, region, account, resource = parts
    if account != ctx.account_id:
        raise ApiError("AccessDeniedException", f"Account {account} is not this account ({ctx.account_id}).")
    if region != ctx.region or resource.split("/")[0] not in _TAGGABLE_TYPES or ctx.tx.get(arn) is None:
        raise not_found("Resource", arn)
    return arn


def _tag_resource(ctx: Ctx, p: dict) -> dict:
    ctx.tx.set_tags(_taggable(ctx, p["ResourceArn"]), p["Tags"])
    return {}


def _untag_resource(ctx: Ctx, p: dict) -> dict:
    ctx.tx.remove_tags(_taggable(ctx, p["ResourceArn"]), p["TagKeys"])
    return {}


def _list_tags_for_resource(ctx: Ctx, p: dict) -> dict:
    return {"Tags": ctx.tx.tags(_taggable(ctx, p["ResourceArn"]))}


OPERATIONS: dict[str, tuple[Handler, int]] = {  # operation -> (handler, HTTP status AWS answers with on success)
    "TagResource": (_tag_resource, 200),
    "UntagResource": (_untag_resource, 200),
    "ListTagsForResource": (_list_tags_for_resource, 200),
}
