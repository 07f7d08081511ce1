"""The compiled executor against strawberry's execution on a small in-memory schema:
fragments on interfaces and unions, aliases, ``@skip``/``@include``, ``__typename``, errors
deep in lists under non-null fields, nulls in non-null positions, enums and custom scalars,
and random queries (hypothesis). Both must answer the same JSON, key order included."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime
from enum import Enum
from types import SimpleNamespace
from typing import Annotated, Any

import orjson
import pytest
import strawberry
from graphql import parse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from strawberry.dataloader import DataLoader
from strawberry.types.field import StrawberryField

from executor.generate import QueryGenerator
from unicrm.core.authz.declare import guard, public
from unicrm.core.errors import PluginError
from unicrm.core.graph.plan import direct, loads
from unicrm.core.telemetry.metrics import activate_metrics
from unicrm.schema.composer import CONFIG, ComposedSchema
from unicrm.schema.errors import format_error
from unicrm.schema.executor.run import Runner


@strawberry.enum
class Mood(Enum):
    HAPPY = "happy"
    GRUMPY = "grumpy"


@strawberry.interface
class Named:
    name: str


@guard("test.tag")
@strawberry.type
class Tag:
    label: str
    weight: int | None = None


@guard("test.person")
@strawberry.type
class Person(Named):
    pk: strawberry.Private[int]
    mood: Mood
    age: int | None
    born: datetime

    @strawberry.field
    @loads("test.tags", each=lambda label: Tag(label=label, weight=len(label)))
    async def tags(self, info: strawberry.Info) -> list[Tag]:
        """Tags by the person's pk, batched."""

    @strawberry.field
    @loads("test.best_friend", one=lambda pk: PEOPLE[pk])
    async def best_friend(self, info: strawberry.Info) -> Person | None:
        """The best friend, if any."""

    @strawberry.field
    @direct
    def broken(self) -> str:
        raise ValueError("broken for good")

    @strawberry.field
    @direct
    async def sometimes(self) -> str | None:
        if self.pk % 2:
            raise ValueError(f"odd person {self.pk}")
        return f"even {self.pk}"

    @strawberry.field
    @direct
    def strict_nothing(self) -> str:
        return None  # type: ignore[return-value]

    @strawberry.field
    @direct
    def friends(self, first: int = 2) -> list[Person]:
        return [PEOPLE[(self.pk + i) % len(PEOPLE)] for i in range(1, first + 1)]

    @strawberry.field
    @direct
    def gaps(self) -> list[Person | None]:
        return [None, PEOPLE[self.pk]]

    @strawberry.field
    @direct
    def not_a_list(self) -> list[str] | None:
        return "abc"  # type: ignore[return-value]

    @strawberry.field
    def undeclared(self) -> str:
        return "custom logic"

    @strawberry.field
    @direct
    def strict_gaps(self) -> list[Person]:
        return [PEOPLE[self.pk], None]  # type: ignore[list-item]


@guard("test.company")
@strawberry.type
class Company(Named):
    employees: list[Person]


Thing = Annotated[Person | Company, strawberry.union("Thing")]

PEOPLE = [
    Person(
        pk=i,
        name=f"p{i}",
        mood=Mood.HAPPY if i % 3 else Mood.GRUMPY,
        age=None if i == 2 else 20 + i,
        born=datetime(1990, 1, 1 + i, tzinfo=UTC),
    )
    for i in range(5)
]
COMPANY = Company(name="acme", employees=PEOPLE[:3])


@strawberry.type
class Query:
    @strawberry.field(metadata=public())
    def people(self, first: int = 5) -> list[Person]:
        return PEOPLE[:first]

    @strawberry.field(metadata=public())
    async def person(self, pk: int) -> Person | None:
        return PEOPLE[pk] if 0 <= pk < len(PEOPLE) else None

    @strawberry.field(metadata=public())
    def things(self) -> list[Thing]:
        return [COMPANY, PEOPLE[1], PEOPLE[4]]

    @strawberry.field(metadata=public())
    def named(self) -> list[Named]:
        return [PEOPLE[0], COMPANY]

    @strawberry.field(metadata=public())
    def strict_people(self) -> list[Person]:
        return PEOPLE[:3]

    @strawberry.field(metadata=public())
    def nothing(self) -> list[Person]:
        return []


class Loaders:
    def __init__(self, calls: list[tuple[str, list[Any]]]) -> None:
        self.made: dict[str, DataLoader] = {}
        self.calls = calls

    def __getitem__(self, name: str) -> DataLoader:
        if name not in self.made:

            async def load(keys: list[Any], name: str = name) -> list[Any]:
                self.calls.append((name, list(keys)))
                if name == "test.tags":
                    return [[f"t{k}", f"u{k}"][: 1 + k % 2] for k in keys]
                return [(k + 2) % len(PEOPLE) if k != 3 else None for k in keys]

            self.made[name] = DataLoader(load_fn=load)
        return self.made[name]


class Context:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[Any]]] = []
        self.loaders = Loaders(self.calls)


SCHEMA = ComposedSchema(query=Query, types=[Person, Company], config=CONFIG, type_fields={})


def _answer(result: Any) -> bytes:
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [format_error(e) for e in result.errors]
        for error in body["errors"]:
            error["extensions"].pop("errorId", None)
    return orjson.dumps(body)


async def _run(query: str, variables: dict[str, Any] | None, compiled: bool) -> tuple[Any, Context]:
    executor = SCHEMA.executor
    SCHEMA.executor = executor if compiled else None
    context = Context()
    try:
        result = await SCHEMA.execute(query, variable_values=variables, context_value=context)
    finally:
        SCHEMA.executor = executor
    return result, context


async def differential(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The answer of ``query``; both executors must agree, and the compiled one must run it."""
    normal, _ = await _run(query, variables, compiled=False)
    compiled, _ = await _run(query, variables, compiled=True)
    assert _answer(compiled) == _answer(normal)
    assert _plans(query, variables)
    return orjson.loads(_answer(compiled))


def _plans(query: str, variables: dict[str, Any] | None = None) -> bool:
    probe = SimpleNamespace(
        graphql_document=parse(query), query=query, operation_name=None, variables=variables
    )
    found = SCHEMA.executor.plan_for(probe, None)  # type: ignore[union-attr]
    return isinstance(found, tuple)


async def test_fields_aliases_enums_and_scalars_match():
    body = await differential(
        "{ people { __typename n: name name mood born age tags { label weight } } }"
    )
    assert body["data"]["people"][0] == {
        "__typename": "Person",
        "n": "p0",
        "name": "p0",
        "mood": "GRUMPY",
        "born": "1990-01-01T00:00:00+00:00",
        "age": 20,
        "tags": [{"label": "t0", "weight": 2}],
    }


async def test_fragments_on_interfaces_and_unions_are_flattened_by_type():
    body = await differential(
        """query { things { __typename ...N ... on Company { employees { name } } }
        named { name ... on Person { age } } }
        fragment N on Named { name ... on Person { mood } }"""
    )
    assert body["data"]["things"][0] == {
        "__typename": "Company",
        "name": "acme",
        "employees": [{"name": "p0"}, {"name": "p1"}, {"name": "p2"}],
    }
    assert body["data"]["named"] == [{"name": "p0", "age": 20}, {"name": "acme"}]


@pytest.mark.parametrize("flag", [True, False])
async def test_skip_and_include_follow_their_variables(flag):
    query = """query($f: Boolean!) { people(first: 2) {
        name @skip(if: $f) age @include(if: $f) ... on Person @include(if: $f) { mood } } }"""
    body = await differential(query, {"f": flag})
    assert ("age" in body["data"]["people"][0]) is flag


async def test_an_error_in_a_nullable_field_nulls_only_that_field():
    body = await differential("{ people { name sometimes } }")
    assert [p["sometimes"] for p in body["data"]["people"]] == [
        "even 0",
        None,
        "even 2",
        None,
        "even 4",
    ]
    assert [e["path"] for e in body["errors"]] == [
        ["people", 1, "sometimes"],
        ["people", 3, "sometimes"],
    ]


async def test_an_error_deep_in_a_list_under_non_null_fields_nulls_the_nullable_ancestor():
    body = await differential("{ person(pk: 1) { name friends { name broken } } }")
    assert body["data"] == {"person": None}
    assert body["errors"][0]["path"] == ["person", "friends", 0, "broken"]
    assert len(body["errors"]) == 1


async def test_a_null_in_a_non_null_position_reaches_the_root():
    body = await differential("{ strictPeople { strictNothing } }")
    assert body["data"] is None
    assert body["errors"][0]["path"] == ["strictPeople", 0, "strictNothing"]


async def test_a_value_that_is_not_a_list_is_an_error_at_its_field():
    body = await differential("{ people(first: 1) { notAList } }")
    assert body["data"] == {"people": [{"notAList": None}]}
    assert body["errors"][0]["message"] == (
        "Expected Iterable, but did not find one for field 'Person.notAList'."
    )


async def test_null_list_items():
    body = await differential("{ person(pk: 2) { gaps { name } strictGaps { name } } }")
    assert body["data"] == {"person": None}
    assert body["errors"][0]["path"] == ["person", "strictGaps", 1]


async def test_empty_lists_unknown_ids_and_nested_loads():
    body = await differential(
        "{ nothing { name } person(pk: 9) { name } p: person(pk: 3) { bestFriend { name } } "
        "q: person(pk: 0) { bestFriend { name bestFriend { name tags { label } } } } }"
    )
    assert body["data"]["nothing"] == []
    assert body["data"]["person"] is None
    assert body["data"]["p"] == {"bestFriend": None}
    assert body["data"]["q"]["bestFriend"]["bestFriend"]["name"] == "p4"


async def test_loads_of_one_level_are_one_batch():
    _, context = await _run(
        "{ people { tags { label } bestFriend { tags { label } } } }", None, True
    )
    assert context.calls == [
        ("test.tags", [0, 1, 2, 3, 4]),
        ("test.best_friend", [0, 1, 2, 3, 4]),
    ]  # the friends' tags come from the loader's cache


async def test_a_field_without_declaration_falls_back_and_says_which(caplog):
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    activate_metrics(provider)
    try:
        with caplog.at_level(logging.DEBUG, logger="unicrm.executor"):
            body = await differential_fallback("query Names { people(first: 1) { undeclared } }")
        data = reader.get_metrics_data()
    finally:
        activate_metrics(None)
        provider.shutdown()
    points = [
        point
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "unicrm.graphql.executor.fallbacks"
        for point in metric.data.data_points
    ]
    assert body == {"data": {"people": [{"undeclared": "custom logic"}]}}
    assert [(p.attributes["coordinate"], p.value) for p in points] == [("Person.undeclared", 1)]
    assert points[0].attributes["graphql.operation.name"] == "Names"
    assert "operation Names runs through strawberry: Person.undeclared" in caplog.text


async def differential_fallback(query: str) -> dict[str, Any]:
    normal, _ = await _run(query, None, compiled=False)
    compiled, _ = await _run(query, None, compiled=True)
    assert _answer(compiled) == _answer(normal)
    assert not _plans(query)
    return orjson.loads(_answer(compiled))


async def test_a_fault_of_the_executor_itself_falls_back_to_strawberry(monkeypatch, caplog):
    async def fault(self: Runner) -> Any:
        raise RuntimeError("a bug in the runner")

    monkeypatch.setattr(Runner, "run", fault)
    compiled, _ = await _run("{ people(first: 1) { name } }", None, compiled=True)

    assert compiled.data == {"people": [{"name": "p0"}]}
    assert not compiled.errors
    assert "compiled executor failed" in caplog.text


def test_a_declared_loader_must_be_registered():
    with pytest.raises(PluginError) as raised:
        SCHEMA.executor.check({"test.tags"})  # type: ignore[union-attr]
    assert "Person.bestFriend loads through 'test.best_friend'" in str(raised.value)
    SCHEMA.executor.check({"test.tags", "test.best_friend"})  # type: ignore[union-attr]


async def test_introspection_is_left_to_strawberry():
    assert not _plans("{ __schema { queryType { name } } }")
    assert _plans("{ people { name } }")


def _allowed(type_name: str, field_name: str, field: Any) -> bool:
    if field_name == "undeclared":
        return False
    return not field.args or all(a.default_value is not None for a in field.args.values())


def _data_and_errors_by_path(answer: bytes) -> tuple[Any, list[Any]]:
    body = orjson.loads(answer)
    errors = sorted(body.get("errors", ()), key=lambda e: orjson.dumps(e["path"]))
    return orjson.dumps(body["data"]), errors


@settings(
    max_examples=40,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)
@given(
    st.randoms(use_true_random=False),
    st.sampled_from(["people", "things", "named", "strictPeople", "person(pk: 1)"]),
)
def test_random_queries_answer_the_same(rng: random.Random, root: str):
    """Data must be byte-identical (key order included) and the errors the same, with the
    same paths. Only the relative order of errors raised by fields awaited concurrently on
    different levels may differ: graphql-core's is an artifact of how the event loop
    resumes its coroutines (the hand-written tests above pin the order where it is
    defined)."""
    query, variables = QueryGenerator(SCHEMA._schema, rng, _allowed).query(root, depth=3)

    async def both() -> tuple[bytes, bytes]:
        normal, _ = await _run(query, variables, compiled=False)
        compiled, _ = await _run(query, variables, compiled=True)
        return _answer(normal), _answer(compiled)

    normal, compiled = asyncio.run(both())
    assert _data_and_errors_by_path(compiled) == _data_and_errors_by_path(normal), query


async def test_a_plain_field_adds_no_resolver_wrapper(monkeypatch):
    """Attribute fields are read with getattr: only the root field's resolver runs."""
    calls: list[str] = []
    original = StrawberryField.get_result

    def counted(self: StrawberryField, *args: Any, **kwargs: Any) -> Any:
        calls.append(self.python_name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(StrawberryField, "get_result", counted)
    await _run("{ people { name mood age born } }", None, compiled=True)
    assert calls == ["people"]
