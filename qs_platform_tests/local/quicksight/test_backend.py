"""The local QuickSight backend answers real boto3 calls with AWS's shapes and semantics."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from qs_platform.local.quicksight import LocalQuickSightBackend, local_quicksight_client

ACCOUNT = "111122223333"
REGION = "us-east-1"
ARN_PREFIX = f"arn:aws:quicksight:{REGION}:{ACCOUNT}"


# --------------------------------------------------------------------------- helpers


def _assert_matches_shape(value, shape, path="response"):
    """Fails if a parsed response holds a key or a type the service model does not allow."""
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), path
        for key, item in value.items():
            assert key in shape.members, f"{path}.{key} is not in {shape.name}"
            _assert_matches_shape(item, shape.members[key], f"{path}.{key}")
    elif kind == "list":
        assert isinstance(value, list), path
        for i, item in enumerate(value):
            _assert_matches_shape(item, shape.member, f"{path}[{i}]")
    elif kind == "map":
        assert isinstance(value, dict), path
        for key, item in value.items():
            _assert_matches_shape(item, shape.value, f"{path}[{key!r}]")
    elif kind == "string":
        assert isinstance(value, str), path
        assert not shape.enum or value in shape.enum, f"{path}={value!r} not in {shape.enum}"
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), path
    elif kind == "boolean":
        assert isinstance(value, bool), path
    elif kind in ("double", "float"):
        assert isinstance(value, (int, float)), path
    elif kind == "timestamp":
        assert isinstance(value, datetime), path


def _check_every_response(client):
    def check(http_response, parsed, model, **_):
        if http_response.status_code < 300:
            body = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
            _assert_matches_shape(body, model.output_shape)
            assert parsed["Status"] == http_response.status_code
            assert parsed["RequestId"]

    client.meta.events.register("after-call.quicksight", check)
    return client


def _client(store, **kwargs):
    return _check_every_response(local_quicksight_client(store, **kwargs))


def _error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def create_data_source(qs, ident="lake", **extra):
    return qs.create_data_source(
        AwsAccountId=ACCOUNT,
        DataSourceId=ident,
        Name=f"{ident} source",
        Type="ATHENA",
        DataSourceParameters={"AthenaParameters": {"WorkGroup": "primary"}},
        **extra,
    )


def _physical_table(columns=(("region", "STRING"), ("amount", "DECIMAL"))):
    return {
        "sales": {
            "RelationalTable": {
                "DataSourceArn": f"{ARN_PREFIX}:datasource/lake",
                "Schema": "gold",
                "Name": "sales",
                "InputColumns": [{"Name": n, "Type": t} for n, t in columns],
            }
        }
    }


def create_data_set(qs, ident="sales", import_mode="SPICE", **extra):
    return qs.create_data_set(
        AwsAccountId=ACCOUNT,
        DataSetId=ident,
        Name=f"{ident} data",
        ImportMode=import_mode,
        PhysicalTableMap=_physical_table(),
        **extra,
    )


def _definition(*data_set_ids, sheet="Overview"):
    return {
        "DataSetIdentifierDeclarations": [
            {"Identifier": ident, "DataSetArn": f"{ARN_PREFIX}:dataset/{ident}"} for ident in data_set_ids
        ],
        "Sheets": [{"SheetId": "s1", "Name": sheet}],
    }


def create_dashboard(qs, ident="board", definition=None, **extra):
    return qs.create_dashboard(
        AwsAccountId=ACCOUNT,
        DashboardId=ident,
        Name=f"{ident} dashboard",
        Definition=definition or _definition("sales"),
        **extra,
    )


@pytest.fixture
def store(tmp_path):
    return tmp_path / "nested" / "dir" / "quicksight.sqlite"


@pytest.fixture
def qs(store):
    return _client(store)


# --------------------------------------------------------------------------- client


def test_client_is_a_real_quicksight_client_and_creates_the_store(store):
    client = local_quicksight_client(store, region="eu-west-1")
    assert client.meta.service_model.service_name == "quicksight"
    assert client.meta.region_name == "eu-west-1"
    assert client.meta.config.retries["mode"] == "standard"
    assert client._request_signer._credentials.access_key == "local"
    assert store.exists()


def test_attach_refuses_other_services(store):
    import boto3

    s3 = boto3.client("s3", region_name=REGION, aws_access_key_id="local", aws_secret_access_key="local")
    with pytest.raises(ValueError, match="quicksight"):
        LocalQuickSightBackend(store).attach(s3)


# --------------------------------------------------------------------------- data sources


def test_data_source_round_trip(qs):
    created = create_data_source(
        qs, Permissions=[{"Principal": "arn:aws:iam::1:role/a", "Actions": ["quicksight:DescribeDataSource"]}]
    )
    assert created["Arn"] == f"{ARN_PREFIX}:datasource/lake"
    assert created["Status"] == 202

    described = qs.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId="lake")["DataSource"]
    assert described["Name"] == "lake source"
    assert described["DataSourceParameters"] == {"AthenaParameters": {"WorkGroup": "primary"}}
    assert isinstance(described["CreatedTime"], datetime)

    qs.update_data_source(
        AwsAccountId=ACCOUNT,
        DataSourceId="lake",
        Name="renamed",
        DataSourceParameters={"AthenaParameters": {"WorkGroup": "analytics"}},
    )
    updated = qs.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId="lake")["DataSource"]
    assert (updated["Name"], updated["Status"]) == ("renamed", "UPDATE_SUCCESSFUL")
    assert updated["DataSourceParameters"]["AthenaParameters"]["WorkGroup"] == "analytics"
    assert updated["CreatedTime"] == described["CreatedTime"]

    listed = qs.list_data_sources(AwsAccountId=ACCOUNT)["DataSources"]
    assert [d["DataSourceId"] for d in listed] == ["lake"]

    qs.delete_data_source(AwsAccountId=ACCOUNT, DataSourceId="lake")
    assert qs.list_data_sources(AwsAccountId=ACCOUNT)["DataSources"] == []


def test_data_source_permissions_grant_and_revoke(qs):
    create_data_source(qs, Permissions=[{"Principal": "p1", "Actions": ["a", "b"]}])
    qs.update_data_source_permissions(
        AwsAccountId=ACCOUNT,
        DataSourceId="lake",
        GrantPermissions=[{"Principal": "p2", "Actions": ["a"]}, {"Principal": "p1", "Actions": ["c"]}],
        RevokePermissions=[{"Principal": "p1", "Actions": ["a"]}],
    )
    permissions = qs.describe_data_source_permissions(AwsAccountId=ACCOUNT, DataSourceId="lake")["Permissions"]
    assert permissions == [{"Principal": "p1", "Actions": ["b", "c"]}, {"Principal": "p2", "Actions": ["a"]}]


# --------------------------------------------------------------------------- datasets


def test_data_set_round_trip_and_update_replaces_everything(qs):
    logical = {"main": {"Alias": "main", "Source": {"PhysicalTableId": "sales"}}}
    created = create_data_set(qs, LogicalTableMap=logical, Permissions=[{"Principal": "p", "Actions": ["x"]}])
    assert created["Arn"] == f"{ARN_PREFIX}:dataset/sales"
    assert created["IngestionArn"] == f"{ARN_PREFIX}:dataset/sales/ingestion/{created['IngestionId']}"
    assert created["Status"] == 201

    described = qs.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="sales")["DataSet"]
    assert described["PhysicalTableMap"] == _physical_table()
    assert described["LogicalTableMap"] == logical
    assert described["OutputColumns"] == [{"Name": "region", "Type": "STRING"}, {"Name": "amount", "Type": "DECIMAL"}]

    qs.update_data_set(
        AwsAccountId=ACCOUNT,
        DataSetId="sales",
        Name="Sales v2",
        ImportMode="DIRECT_QUERY",
        PhysicalTableMap=_physical_table(columns=[("region", "STRING")]),
    )
    updated = qs.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="sales")["DataSet"]
    assert (updated["Name"], updated["ImportMode"]) == ("Sales v2", "DIRECT_QUERY")
    assert "LogicalTableMap" not in updated
    assert updated["OutputColumns"] == [{"Name": "region", "Type": "STRING"}]
    assert qs.describe_data_set_permissions(AwsAccountId=ACCOUNT, DataSetId="sales")["Permissions"] == [
        {"Principal": "p", "Actions": ["x"]}
    ]

    summaries = qs.list_data_sets(AwsAccountId=ACCOUNT)["DataSetSummaries"]
    assert [(s["DataSetId"], s["ImportMode"]) for s in summaries] == [("sales", "DIRECT_QUERY")]


def test_output_columns_follow_logical_transforms(qs):
    logical = {
        "main": {
            "Alias": "main",
            "Source": {"PhysicalTableId": "sales"},
            "DataTransforms": [
                {"RenameColumnOperation": {"ColumnName": "region", "NewColumnName": "Region"}},
                {"CastColumnTypeOperation": {"ColumnName": "amount", "NewColumnType": "INTEGER"}},
                {
                    "CreateColumnsOperation": {
                        "Columns": [{"ColumnName": "double", "ColumnId": "d", "Expression": "amount*2"}]
                    }
                },
                {"ProjectOperation": {"ProjectedColumns": ["double", "Region"]}},
            ],
        }
    }
    create_data_set(qs, LogicalTableMap=logical)
    columns = qs.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="sales")["DataSet"]["OutputColumns"]
    assert columns == [{"Name": "double"}, {"Name": "Region", "Type": "STRING"}]


def test_data_set_delete_removes_it_and_its_ingestions(qs):
    created = create_data_set(qs)
    qs.delete_data_set(AwsAccountId=ACCOUNT, DataSetId="sales")
    with pytest.raises(qs.exceptions.ResourceNotFoundException):
        qs.describe_ingestion(AwsAccountId=ACCOUNT, DataSetId="sales", IngestionId=created["IngestionId"])
    create_data_set(qs)
    assert len(qs.list_ingestions(AwsAccountId=ACCOUNT, DataSetId="sales")["Ingestions"]) == 1


# --------------------------------------------------------------------------- ingestions


def test_ingestion_completes_immediately(qs):
    create_data_set(qs)
    created = qs.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="sales", IngestionId="run-1")
    assert created["Arn"] == f"{ARN_PREFIX}:dataset/sales/ingestion/run-1"
    ingestion = qs.describe_ingestion(AwsAccountId=ACCOUNT, DataSetId="sales", IngestionId="run-1")["Ingestion"]
    assert ingestion["IngestionStatus"] == "COMPLETED"
    assert ingestion["RowInfo"] == {"RowsIngested": 0, "RowsDropped": 0, "TotalRowsInDataset": 0}
    assert ingestion["RequestType"] == "FULL_REFRESH"

    listed = qs.list_ingestions(AwsAccountId=ACCOUNT, DataSetId="sales")["Ingestions"]
    assert [i["RequestType"] for i in listed] == ["INITIAL_INGESTION", "FULL_REFRESH"]

    with pytest.raises(qs.exceptions.ResourceExistsException):
        qs.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="sales", IngestionId="run-1")
    with pytest.raises(qs.exceptions.ResourceNotFoundException):
        qs.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="missing", IngestionId="run-1")


def test_strict_ingestion_runs_then_completes(store):
    qs = _client(store, strict=True)
    create_data_set(qs)
    created = qs.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="sales", IngestionId="run-1")
    assert created["IngestionStatus"] == "INITIALIZED"
    statuses = [
        qs.describe_ingestion(AwsAccountId=ACCOUNT, DataSetId="sales", IngestionId="run-1")["Ingestion"][
            "IngestionStatus"
        ]
        for _ in range(3)
    ]
    assert statuses[0] in ("QUEUED", "RUNNING")
    assert statuses[1:] == ["COMPLETED", "COMPLETED"]


# --------------------------------------------------------------------------- errors


CREATORS = {
    "data source": (create_data_source, lambda qs: qs.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId="lake")),
    "data set": (create_data_set, lambda qs: qs.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="sales")),
    "dashboard": (create_dashboard, lambda qs: qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="board")),
}


@pytest.mark.parametrize("kind", CREATORS)
def test_create_existing_raises_resource_exists(qs, kind):
    create, _ = CREATORS[kind]
    create(qs)
    with pytest.raises(qs.exceptions.ResourceExistsException) as excinfo:
        create(qs)
    assert isinstance(excinfo.value, ClientError)
    assert _error_code(excinfo) == "ResourceExistsException"
    assert "already exists" in str(excinfo.value)


@pytest.mark.parametrize("kind", CREATORS)
def test_missing_resource_raises_not_found(qs, kind):
    _, describe = CREATORS[kind]
    with pytest.raises(qs.exceptions.ResourceNotFoundException) as excinfo:
        describe(qs)
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert "does not exist" in excinfo.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    "call",
    [
        lambda qs: qs.update_data_source(AwsAccountId=ACCOUNT, DataSourceId="nope", Name="x"),
        lambda qs: qs.delete_data_source(AwsAccountId=ACCOUNT, DataSourceId="nope"),
        lambda qs: qs.update_data_set(
            AwsAccountId=ACCOUNT, DataSetId="nope", Name="x", ImportMode="SPICE", PhysicalTableMap=_physical_table()
        ),
        lambda qs: qs.delete_data_set(AwsAccountId=ACCOUNT, DataSetId="nope"),
        lambda qs: qs.update_dashboard(AwsAccountId=ACCOUNT, DashboardId="nope", Name="x", Definition=_definition()),
        lambda qs: qs.delete_dashboard(AwsAccountId=ACCOUNT, DashboardId="nope"),
        lambda qs: qs.update_dashboard_permissions(AwsAccountId=ACCOUNT, DashboardId="nope"),
    ],
)
def test_update_and_delete_of_missing_resources_raise_not_found(qs, call):
    with pytest.raises(qs.exceptions.ResourceNotFoundException):
        call(qs)


def test_wrong_account_is_access_denied(qs):
    with pytest.raises(qs.exceptions.AccessDeniedException):
        qs.list_data_sets(AwsAccountId="999999999999")
    with pytest.raises(qs.exceptions.AccessDeniedException):
        qs.list_tags_for_resource(ResourceArn=f"arn:aws:quicksight:{REGION}:999999999999:dataset/sales")


def test_unsupported_operation_is_a_client_error(qs):
    with pytest.raises(ClientError) as excinfo:
        qs.describe_analysis(AwsAccountId=ACCOUNT, AnalysisId="a")
    assert _error_code(excinfo) == "UnsupportedOperationException"
    assert "does not implement DescribeAnalysis" in str(excinfo.value)


def test_param_validation_happens_before_the_backend(qs, store):
    with pytest.raises(ParamValidationError):
        create_data_source(qs, NotAParameter=1)
    with pytest.raises(ParamValidationError):
        qs.create_data_set(AwsAccountId=ACCOUNT, DataSetId="sales", Name="x", ImportMode="SPICE")  # no PhysicalTableMap
    assert LocalQuickSightBackend(store).call_log() == []
    assert qs.list_data_sources(AwsAccountId=ACCOUNT)["DataSources"] == []
    assert qs.list_data_sets(AwsAccountId=ACCOUNT)["DataSetSummaries"] == []


# --------------------------------------------------------------------------- dashboards


def test_dashboard_versions_and_publishing(qs):
    create_data_set(qs)
    created = create_dashboard(qs, ThemeArn="arn:aws:quicksight::aws:theme/MIDNIGHT")
    assert created["VersionArn"] == f"{ARN_PREFIX}:dashboard/board/version/1"
    assert created["CreationStatus"] == "CREATION_SUCCESSFUL"

    updated = qs.update_dashboard(
        AwsAccountId=ACCOUNT,
        DashboardId="board",
        Name="Board v2",
        Definition=_definition("sales", sheet="Second"),
        VersionDescription="second cut",
    )
    assert updated["VersionArn"].endswith("/version/2")

    published = qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="board")["Dashboard"]
    assert published["Version"]["VersionNumber"] == 1
    assert published["Version"]["Sheets"] == [{"SheetId": "s1", "Name": "Overview"}]
    assert published["Version"]["DataSetArns"] == [f"{ARN_PREFIX}:dataset/sales"]
    assert published["Version"]["Errors"] == []
    assert published["Version"]["ThemeArn"] == "arn:aws:quicksight::aws:theme/MIDNIGHT"

    v2 = qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="board", VersionNumber=2)["Dashboard"]["Version"]
    assert (v2["VersionNumber"], v2["Status"], v2["Description"]) == (2, "CREATION_SUCCESSFUL", "second cut")
    latest = qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="board", AliasName="$LATEST")["Dashboard"]
    assert latest["Version"]["VersionNumber"] == 2

    definition = qs.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="board")
    assert definition["Definition"] == _definition("sales")
    assert definition["ThemeArn"] == "arn:aws:quicksight::aws:theme/MIDNIGHT"
    assert (definition["ResourceStatus"], definition["Errors"]) == ("CREATION_SUCCESSFUL", [])
    v2_definition = qs.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="board", VersionNumber=2)
    assert v2_definition["Definition"] == _definition("sales", sheet="Second")
    assert v2_definition["Name"] == "Board v2"

    versions = qs.list_dashboard_versions(AwsAccountId=ACCOUNT, DashboardId="board")["DashboardVersionSummaryList"]
    assert [v["VersionNumber"] for v in versions] == [1, 2]

    qs.update_dashboard_published_version(AwsAccountId=ACCOUNT, DashboardId="board", VersionNumber=2)
    now_published = qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="board")["Dashboard"]
    assert now_published["Version"]["VersionNumber"] == 2
    assert now_published["LastPublishedTime"] > published["LastPublishedTime"]
    summary = qs.list_dashboards(AwsAccountId=ACCOUNT)["DashboardSummaryList"]
    assert [(d["DashboardId"], d["PublishedVersionNumber"], d["Name"]) for d in summary] == [("board", 2, "Board v2")]


def test_dashboard_missing_version_and_version_delete(qs):
    create_dashboard(qs)
    qs.update_dashboard(AwsAccountId=ACCOUNT, DashboardId="board", Name="b", Definition=_definition("sales"))
    with pytest.raises(qs.exceptions.ResourceNotFoundException):
        qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="board", VersionNumber=7)
    with pytest.raises(qs.exceptions.ResourceNotFoundException):
        qs.update_dashboard_published_version(AwsAccountId=ACCOUNT, DashboardId="board", VersionNumber=7)
    with pytest.raises(qs.exceptions.InvalidParameterValueException):
        qs.delete_dashboard(AwsAccountId=ACCOUNT, DashboardId="board", VersionNumber=1)  # the published one

    qs.delete_dashboard(AwsAccountId=ACCOUNT, DashboardId="board", VersionNumber=2)
    versions = qs.list_dashboard_versions(AwsAccountId=ACCOUNT, DashboardId="board")["DashboardVersionSummaryList"]
    assert [v["VersionNumber"] for v in versions] == [1]
    third = qs.update_dashboard(AwsAccountId=ACCOUNT, DashboardId="board", Name="b", Definition=_definition("sales"))
    assert third["VersionArn"].endswith("/version/3")

    qs.delete_dashboard(AwsAccountId=ACCOUNT, DashboardId="board")
    assert qs.list_dashboards(AwsAccountId=ACCOUNT)["DashboardSummaryList"] == []
    create_dashboard(qs)  # the id is free again, versions start over
    assert (
        qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="board")["Dashboard"]["Version"]["VersionNumber"] == 1
    )


def test_dashboard_permissions_including_link_sharing(qs):
    create_dashboard(qs, Permissions=[{"Principal": "p1", "Actions": ["quicksight:DescribeDashboard"]}])
    response = qs.update_dashboard_permissions(
        AwsAccountId=ACCOUNT,
        DashboardId="board",
        GrantPermissions=[{"Principal": "p2", "Actions": ["quicksight:QueryDashboard"]}],
        RevokePermissions=[{"Principal": "p1", "Actions": ["quicksight:DescribeDashboard"]}],
        GrantLinkPermissions=[{"Principal": "link", "Actions": ["quicksight:QueryDashboard"]}],
    )
    assert response["Permissions"] == [{"Principal": "p2", "Actions": ["quicksight:QueryDashboard"]}]
    described = qs.describe_dashboard_permissions(AwsAccountId=ACCOUNT, DashboardId="board")
    assert described["Permissions"] == response["Permissions"]
    assert described["LinkSharingConfiguration"]["Permissions"][0]["Principal"] == "link"


def test_definition_is_stored_exactly_including_datetimes_and_decimals(qs):
    when = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    definition = _definition("sales")
    definition["ParameterDeclarations"] = [
        {
            "DateTimeParameterDeclaration": {
                "Name": "since",
                "DefaultValues": {"StaticValues": [when]},
                "TimeGranularity": "DAY",
            }
        },
        {
            "DecimalParameterDeclaration": {
                "ParameterValueType": "SINGLE_VALUED",
                "Name": "threshold",
                "DefaultValues": {"StaticValues": [Decimal("1.25")]},
            }
        },
    ]
    create_dashboard(qs, definition=definition)
    stored = qs.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="board")["Definition"]
    assert stored == definition
    assert (
        stored["ParameterDeclarations"][0]["DateTimeParameterDeclaration"]["DefaultValues"]["StaticValues"][0] == when
    )
    threshold = stored["ParameterDeclarations"][1]["DecimalParameterDeclaration"]["DefaultValues"]["StaticValues"]
    assert threshold == [1.25] and isinstance(threshold[0], float)  # a double, as botocore parses it


def test_timestamps_come_back_as_aws_answers_them_not_as_sent(qs):
    """botocore accepts '2017/01/01' for a timestamp and sends epoch seconds; QuickSight answers a timestamp, which
    botocore parses to an aware UTC datetime. The store keeps what was sent; the answer is what AWS would give."""
    definition = _definition("sales")
    definition["ParameterDeclarations"] = [
        {
            "DateTimeParameterDeclaration": {
                "Name": "since",
                "DefaultValues": {"StaticValues": ["2017/01/01", "2024-05-01T12:30:00+02:00"]},
                "ValueWhenUnset": {"CustomValue": "2016/12/31"},
            }
        }
    ]
    create_dashboard(qs, definition=definition)
    declaration = qs.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="board")["Definition"][
        "ParameterDeclarations"
    ][0]
    datetime_declaration = declaration["DateTimeParameterDeclaration"]
    assert datetime_declaration["DefaultValues"]["StaticValues"] == [
        datetime(2017, 1, 1, tzinfo=UTC),
        datetime(2024, 5, 1, 10, 30, tzinfo=UTC),
    ]
    assert datetime_declaration["ValueWhenUnset"]["CustomValue"] == datetime(2016, 12, 31, tzinfo=UTC)
    assert datetime_declaration["Name"] == "since"  # strings stay strings


def test_dashboard_from_template_source_entity(qs):
    template_arn = f"{ARN_PREFIX}:template/base"
    qs.create_dashboard(
        AwsAccountId=ACCOUNT,
        DashboardId="board",
        Name="From template",
        SourceEntity={
            "SourceTemplate": {
                "Arn": template_arn,
                "DataSetReferences": [{"DataSetPlaceholder": "sales", "DataSetArn": f"{ARN_PREFIX}:dataset/sales"}],
            }
        },
    )
    version = qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="board")["Dashboard"]["Version"]
    assert version["SourceEntityArn"] == template_arn
    assert version["DataSetArns"] == [f"{ARN_PREFIX}:dataset/sales"]
    assert "Definition" not in qs.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="board")


def test_strict_dashboard_is_in_progress_on_first_describe(store):
    qs = _client(store, strict=True)
    create_data_set(qs)
    created = create_dashboard(qs)
    assert created["CreationStatus"] == "CREATION_IN_PROGRESS"
    first = qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="board")["Dashboard"]["Version"]["Status"]
    second = qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="board")["Dashboard"]["Version"]["Status"]
    assert (first, second) == ("CREATION_IN_PROGRESS", "CREATION_SUCCESSFUL")

    qs.update_dashboard(AwsAccountId=ACCOUNT, DashboardId="board", Name="b", Definition=_definition("sales"))
    v2 = qs.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="board", VersionNumber=2)
    assert v2["ResourceStatus"] == "CREATION_IN_PROGRESS"
    v2 = qs.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="board", VersionNumber=2)
    assert v2["ResourceStatus"] == "CREATION_SUCCESSFUL"


def test_strict_dashboard_with_missing_data_set_fails(store):
    qs = _client(store, strict=True)
    create_data_set(qs, ident="present")
    create_dashboard(qs, definition=_definition("present", "absent"))
    qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="board")  # in progress
    version = qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="board")["Dashboard"]["Version"]
    assert version["Status"] == "CREATION_FAILED"
    assert [e["Type"] for e in version["Errors"]] == ["DATA_SET_NOT_FOUND"]
    assert f"{ARN_PREFIX}:dataset/absent" in version["Errors"][0]["Message"]
    definition = qs.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="board")
    assert definition["ResourceStatus"] == "CREATION_FAILED"
    assert definition["Errors"] == version["Errors"]


def test_non_strict_dashboard_does_not_check_data_sets(qs):
    create_dashboard(qs, definition=_definition("absent"))
    version = qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="board")["Dashboard"]["Version"]
    assert (version["Status"], version["Errors"]) == ("CREATION_SUCCESSFUL", [])


# --------------------------------------------------------------------------- tags, pagination, persistence


def test_tags_from_create_and_tag_operations(qs):
    created = create_data_set(qs, Tags=[{"Key": "env", "Value": "dev"}])
    arn = created["Arn"]
    qs.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "bi"}, {"Key": "env", "Value": "prod"}])
    tags = qs.list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "prod"), ("team", "bi")]

    qs.untag_resource(ResourceArn=arn, TagKeys=["env"])
    assert qs.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "bi"}]

    with pytest.raises(qs.exceptions.ResourceNotFoundException):
        qs.tag_resource(ResourceArn=f"{ARN_PREFIX}:dashboard/missing", Tags=[{"Key": "k", "Value": "v"}])


def test_list_pagination_with_paginator_and_tokens(qs):
    for i in range(5):
        create_data_source(qs, ident=f"ds{i}")
    first = qs.list_data_sources(AwsAccountId=ACCOUNT, MaxResults=2)
    assert [d["DataSourceId"] for d in first["DataSources"]] == ["ds0", "ds1"]
    second = qs.list_data_sources(AwsAccountId=ACCOUNT, MaxResults=2, NextToken=first["NextToken"])
    assert [d["DataSourceId"] for d in second["DataSources"]] == ["ds2", "ds3"]

    pages = list(qs.get_paginator("list_data_sources").paginate(AwsAccountId=ACCOUNT, PaginationConfig={"PageSize": 2}))
    assert [len(p["DataSources"]) for p in pages] == [2, 2, 1]
    assert "NextToken" not in pages[-1]

    with pytest.raises(qs.exceptions.InvalidNextTokenException):
        qs.list_data_sources(AwsAccountId=ACCOUNT, NextToken="garbage")


def test_state_persists_across_clients_on_the_same_store(store):
    first = _client(store)
    create_data_set(first)
    create_dashboard(first)
    first.update_dashboard(AwsAccountId=ACCOUNT, DashboardId="board", Name="b", Definition=_definition("sales"))

    second = _client(store)
    assert second.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="sales")["DataSet"]["Name"] == "sales data"
    versions = second.list_dashboard_versions(AwsAccountId=ACCOUNT, DashboardId="board")["DashboardVersionSummaryList"]
    assert len(versions) == 2
    with pytest.raises(second.exceptions.ResourceExistsException):
        create_data_set(second)


def test_concurrent_clients_do_not_lose_writes(store):
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            client = local_quicksight_client(store)
            for i in range(8):
                create_data_source(client, ident=f"w{n}-{i}")
                client.list_data_sources(AwsAccountId=ACCOUNT)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    listed = local_quicksight_client(store).list_data_sources(AwsAccountId=ACCOUNT)["DataSources"]
    assert len(listed) == 32


# --------------------------------------------------------------------------- throttling and call log


def test_throttle_every_nth_call(store):
    qs = _client(store, throttle_every=3)
    outcomes = []
    for _ in range(6):
        try:
            qs.list_data_sets(AwsAccountId=ACCOUNT)
            outcomes.append("ok")
        except qs.exceptions.ThrottlingException as exc:
            assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 429
            outcomes.append("throttled")
    assert outcomes == ["ok", "ok", "throttled", "ok", "ok", "throttled"]


def test_call_log_records_operations_and_mutation(store):
    backend = LocalQuickSightBackend(store)
    qs = _client(store)
    create_data_source(qs, Credentials={"CredentialPair": {"Username": "u", "Password": "secret"}})
    qs.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId="lake")
    qs.list_data_sources(AwsAccountId=ACCOUNT)
    qs.update_data_source(AwsAccountId=ACCOUNT, DataSourceId="lake", Name="x")
    qs.tag_resource(ResourceArn=f"{ARN_PREFIX}:datasource/lake", Tags=[{"Key": "k", "Value": "v"}])
    qs.untag_resource(ResourceArn=f"{ARN_PREFIX}:datasource/lake", TagKeys=["k"])
    qs.delete_data_source(AwsAccountId=ACCOUNT, DataSourceId="lake")
    with pytest.raises(qs.exceptions.ResourceNotFoundException):
        qs.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId="lake")

    log = backend.call_log()
    assert [(c["operation"], c["mutating"]) for c in log] == [
        ("CreateDataSource", True),
        ("DescribeDataSource", False),
        ("ListDataSources", False),
        ("UpdateDataSource", True),
        ("TagResource", True),
        ("UntagResource", True),
        ("DeleteDataSource", True),
        ("DescribeDataSource", False),
    ]
    assert log[0]["params"]["Name"] == "lake source"
    assert "secret" not in str(log[0]["params"])
    assert datetime.fromisoformat(log[0]["at"]).tzinfo is not None
    assert log[-1]["error"] == "ResourceNotFoundException"

    backend.reset_call_log()
    assert backend.call_log() == []
