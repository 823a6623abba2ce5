"""The Definitions built from the shipped assets_config/, pinned as a snapshot: every asset with its group, kinds,
dependencies, checks and whether it is automated, and every sensor, schedule and job. A change to a factory or to
the YAML that reshapes the graph shows up here as a diff to review; regenerate with QS_UPDATE_SNAPSHOTS=1."""

import json
import os

from qs_platform.config.loader import load_config
from qs_platform.config.settings import Settings
from qs_platform.project import build_definitions
from qs_platform_tests.conftest import CONFIG_DIR, PROJECT

SNAPSHOT = PROJECT / "qs_platform_tests" / "snapshots" / "asset_graph.json"


def asset_graph(defs) -> dict:
    graph = defs.resolve_asset_graph()
    checks: dict[str, list[str]] = {}
    for check_key in graph.asset_check_keys:
        checks.setdefault(check_key.asset_key.to_user_string(), []).append(check_key.name)
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        name = key.to_user_string()
        assets[name] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "checks": sorted(checks.get(name, [])),
            "automated": node.automation_condition is not None,
            "materializable": node.is_materializable,
        }
    return {
        "assets": assets,
        "sensors": sorted(s.name for s in defs.sensors or []),
        "schedules": sorted(s.name for s in defs.schedules or []),
        "jobs": sorted(j.name for j in defs.jobs or []),
    }


def test_the_asset_graph_of_the_shipped_config_is_the_reviewed_one(tmp_path):
    settings = Settings.from_env({"QS_CONFIG_DIR": str(CONFIG_DIR), "QS_LAKE_URL": str(tmp_path / "lake")})
    actual = asset_graph(build_definitions(settings, load_config(CONFIG_DIR)))
    if os.environ.get("QS_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    assert actual == expected, "the asset graph changed: review the diff, then regenerate with QS_UPDATE_SNAPSHOTS=1"
