"""Our own small Athena client: region, workgroup and result location explicit, endpoint from the standard AWS settings.

dagster-aws's AthenaClientResource has no region, endpoint or output location and breaks under moto (the team's ../shared/DESIGN.md, "traps");
the Dagster resource configuring this client is `orchestration.resources.AthenaResource`.
A query is started, polled with exponential backoff until it reaches a final state, and its results are read
page by page (GetQueryResults returns at most 1000 rows per call; the first row of a SELECT is the header).
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict
from tenacity import retry, retry_if_result, stop_after_delay, wait_exponential

from qs_platform.lake.s3 import DEFAULT_MAX_ATTEMPTS, retry_config

FINAL_STATES = {"SUCCEEDED", "FAILED", "CANCELLED"}
DATA_CATALOG = "AwsDataCatalog"


class AthenaQueryFailed(RuntimeError):
    pass


class Athena(BaseModel):
    model_config = ConfigDict(frozen=True)

    region: str
    workgroup: str = "primary"
    output_location: str  # s3://bucket/prefix/ for query results
    timeout_seconds: float = 1800
    max_poll_seconds: float = 10
    max_attempts: int = DEFAULT_MAX_ATTEMPTS  # botocore's attempts per Athena (and result-cleaning S3) request

    def client(self):
        import boto3

        # AWS_ENDPOINT_URL(_ATHENA) honoured by boto3. A retried StartQueryExecution keeps its ClientRequestToken
        # (botocore fills the idempotency token once, before the attempts), so Athena never runs a statement twice.
        return boto3.client("athena", region_name=self.region, config=retry_config(self.max_attempts))

    def start(self, sql: str, database: str | None = None, *, client=None) -> str:
        client = client or self.client()
        arguments = {
            "QueryString": sql,
            "WorkGroup": self.workgroup,
            "ResultConfiguration": {"OutputLocation": self.output_location},
        }
        if database:
            arguments["QueryExecutionContext"] = {"Database": database, "Catalog": DATA_CATALOG}
        return client.start_query_execution(**arguments)["QueryExecutionId"]

    def wait(self, execution_id: str, *, client=None) -> dict:
        """The final QueryExecution; AthenaQueryFailed (with Athena's reason and the SQL) unless it succeeded."""
        client = client or self.client()

        @retry(
            retry=retry_if_result(lambda execution: execution["Status"]["State"] not in FINAL_STATES),
            wait=wait_exponential(multiplier=0.2, max=self.max_poll_seconds),
            stop=stop_after_delay(self.timeout_seconds),
            retry_error_callback=lambda state: state.outcome.result(),  # the last state, not tenacity's RetryError
        )
        def poll() -> dict:
            return client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]

        execution = poll()
        status = execution["Status"]
        if status["State"] not in FINAL_STATES:
            try:
                client.stop_query_execution(QueryExecutionId=execution_id)  # it would still write, and still cost
            except Exception:  # noqa: BLE001 - the timeout is the error to report
                pass
            raise AthenaQueryFailed(
                f"Athena query {execution_id} in workgroup {self.workgroup} still {status['State']} after "
                f"{self.timeout_seconds:g} s: stopped\n{execution.get('Query', '')[:2000]}"
            )
        if status["State"] != "SUCCEEDED":
            raise AthenaQueryFailed(
                f"Athena query {execution_id} in workgroup {self.workgroup} {status['State']}: "
                f"{status.get('StateChangeReason', 'no reason given')}\n{execution.get('Query', '')[:2000]}"
            )
        return execution

    def execute(self, sql: str, database: str | None = None) -> dict:
        """Run one statement to completion (DDL, CTAS, INSERT INTO); the final QueryExecution."""
        client = self.client()
        return self.wait(self.start(sql, database, client=client), client=client)

    def rows(self, execution_id: str, *, header: bool = True, client=None) -> Iterator[dict]:
        """The result rows as {column: text or None}; `header` skips the header row Athena puts first for SELECTs."""
        client = client or self.client()
        pages = client.get_paginator("get_query_results").paginate(QueryExecutionId=execution_id)
        names: list[str] | None = None
        for page in pages:
            result_set = page["ResultSet"]
            names = names or [c["Name"] for c in result_set.get("ResultSetMetadata", {}).get("ColumnInfo", [])]
            for row in result_set["Rows"]:
                values = [cell.get("VarCharValue") for cell in row["Data"]]
                if header:
                    header = False
                    if values == names or not names:
                        names = names or values
                        continue
                yield dict(zip(names, values))

    def query(self, sql: str, database: str | None = None) -> list[dict]:
        execution = self.execute(sql, database)
        rows = list(self.rows(execution["QueryExecutionId"]))
        self.discard_results(execution)
        return rows

    def discard_results(self, execution: dict) -> None:
        """Delete what a finished query left in the result location (`<id>.csv`, `.metadata`, `-manifest.csv`)."""
        import boto3

        location = execution.get("ResultConfiguration", {}).get("OutputLocation", "")
        if not location.startswith("s3://"):
            return
        bucket, _, key = location.removeprefix("s3://").partition("/")
        stem = (
            key.rsplit("/", 1)[0] + "/" + execution["QueryExecutionId"] if "/" in key else execution["QueryExecutionId"]
        )
        s3 = boto3.client("s3", region_name=self.region, config=retry_config(self.max_attempts))
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=stem):
            for item in page.get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=item["Key"])
