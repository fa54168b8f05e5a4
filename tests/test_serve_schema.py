"""Property-based tests of `peitu serve`'s OpenAPI schema with schemathesis, against a real server: for every
operation, requests generated from the schema (valid ones, and invalid ones that must be refused with a
4xx) get an answer the schema describes: documented status, content type and body, never a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from .conftest import API_TOKEN

pytestmark = pytest.mark.slow            # about a minute: each valid illustrate draws images

EXAMPLES = {"illustrate": 8}          # each valid call draws images; the rest are quick
DEFAULT_EXAMPLES = 30
# A request the schema allows may still name a file that is not there or not allowed, or a type, style or
# template this config lacks: those are refused with a reason (400 or 404, {"error"}), never a 5xx.
CONFIG = schemathesis.Config.from_dict({"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2XX", "400", "404"]}}})


@pytest.fixture
def schema(api):
    srv, _ = api
    return srv, schemathesis.openapi.from_url(srv.url + "openapi.json", config=CONFIG)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("operation_id", ["plan", "illustrate", "check", "library_search", "template_preview"])
def test_every_answer_matches_the_schema(schema, operation_id, mode):
    srv, loaded = schema
    operation = next(r.ok() for r in loaded.get_all_operations() if r.ok().definition.raw["operationId"] == operation_id)

    statuses: list[int] = []

    @settings(max_examples=EXAMPLES.get(operation_id, DEFAULT_EXAMPLES), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(mode))
    def run(case: schemathesis.Case) -> None:
        answer = case.call_and_validate(base_url=srv.url.rstrip("/"), timeout=120,
                                        headers={"Authorization": f"Bearer {API_TOKEN}"})
        statuses.append(answer.status_code)

    run()
    if mode == GenerationMode.POSITIVE:                     # the schema's own examples are carried out
        for strategy in loaded.get_strategies_from_examples(operation):
            settings(max_examples=3, deadline=None, database=None, suppress_health_check=list(HealthCheck))(
                given(case=strategy)(run.hypothesis.inner_test))()
        assert 200 in statuses, statuses
