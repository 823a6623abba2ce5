"""Update*Permissions: grants and revocations applied to a resource's permissions."""

from __future__ import annotations

from collections.abc import Callable


def apply_permission_changes(current: list[dict], grant: list[dict], revoke: list[dict]) -> list[dict]:
    actions: dict[str, list[str]] = {p["Principal"]: list(p["Actions"]) for p in current}
    for p in grant:
        held = actions.setdefault(p["Principal"], [])
        held.extend(a for a in p["Actions"] if a not in held)
    for p in revoke:
        if p["Principal"] in actions:
            actions[p["Principal"]] = [a for a in actions[p["Principal"]] if a not in p["Actions"]]
    return [{"Principal": who, "Actions": acts} for who, acts in actions.items() if acts]


def permission_operations(noun: str, requested: Callable) -> dict[str, tuple[Callable, int]]:
    """Describe<noun>Permissions and Update<noun>Permissions of a resource whose answers name it `<noun>Arn` and
    `<noun>Id` (data sources, data sets); `requested(ctx, params)` gives the resource's (arn, body)."""

    def describe(ctx, p: dict) -> dict:
        arn, body = requested(ctx, p)
        return {f"{noun}Arn": arn, f"{noun}Id": body[f"{noun}Id"], "Permissions": body["Permissions"]}

    def update(ctx, p: dict) -> dict:
        arn, body = requested(ctx, p)
        body["Permissions"] = apply_permission_changes(
            body["Permissions"], p.get("GrantPermissions", []), p.get("RevokePermissions", [])
        )
        ctx.tx.update(arn, body)
        return {f"{noun}Arn": arn, f"{noun}Id": body[f"{noun}Id"]}

    return {f"Describe{noun}Permissions": (describe, 200), f"Update{noun}Permissions": (update, 200)}
