"""Update*Permissions: grants and revocations applied to a resource's permissions."""

from __future__ import annotations


def apply_permission_changes(current: list[dict], grant: list[dict], revoke: list[dict]) -> list[dict]:
    actions: dict[str, list[str]] = {p["Principal"]: list(p["Actions"]) for p in current}
    for p in grant:
        held = actions.setdefault(p["Principal"], [])
        held.extend(a for a in p["Actions"] if a not in held)
    for p in revoke:
        if p["Principal"] in actions:
            actions[p["Principal"]] = [a for a in actions[p["Principal"]] if a not in p["Actions"]]
    return [{"Principal": who, "Actions": acts} for who, acts in actions.items() if acts]
