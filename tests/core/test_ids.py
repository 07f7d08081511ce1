"""Opaque global ids: one string per object, anything else is refused with a clear error."""

from __future__ import annotations

import base64
import uuid

import pytest

from unicrm.core.db.ids import uuid7
from unicrm.core.errors import BadRequest, DomainError
from unicrm.core.graph.ids import InvalidGlobalId, decode_id, from_global_id, to_global_id
from unicrm.core.graph.node import parse_global_id

SAMPLE_UUID = uuid.UUID("0190a3c8-6f2b-7c3e-9a4d-1b2c3d4e5f61")


def forged(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def test_global_id_round_trips_and_is_url_safe():
    pk = uuid7()
    global_id = to_global_id("Customer", pk)
    assert from_global_id(global_id) == ("Customer", pk)
    assert not set(global_id) & set("+/=")


def test_global_ids_differ_by_type_for_the_same_key():
    pk = uuid7()
    assert to_global_id("Customer", pk) != to_global_id("Product", pk)


@pytest.mark.parametrize(
    "global_id",
    [
        "",
        "nope",
        "%%%",
        "Q3VzdG9tZXI6",  # "Customer:"
        forged("Customer"),
        forged(f"Customer:{SAMPLE_UUID}"),
        forged(f"Customer:{SAMPLE_UUID.hex.upper()}"),
        forged(f"Customer:{SAMPLE_UUID.hex}0"),
        forged(f"Customer:{{{SAMPLE_UUID.hex}}}"),
        forged(f":{SAMPLE_UUID.hex}"),
        forged(f"9Customer:{SAMPLE_UUID.hex}"),
        forged(f"Cus-tomer:{SAMPLE_UUID.hex}"),
        forged(f"Custömer:{SAMPLE_UUID.hex}"),
        to_global_id("Customer", SAMPLE_UUID) + "=",
        " " + to_global_id("Customer", SAMPLE_UUID),
        to_global_id("Customer", SAMPLE_UUID).replace("Q", "Q\n", 1),
        "ค" * 10,
        "A" * 1000,
    ],
)
def test_malformed_global_id_is_refused(global_id):
    with pytest.raises(InvalidGlobalId):
        from_global_id(global_id)


def test_decode_id_returns_the_key_of_the_expected_type():
    pk = uuid7()
    assert decode_id(to_global_id("Product", pk), ("Customer", "Product")) == pk


def test_decode_id_names_the_input_field_of_a_malformed_id():
    with pytest.raises(DomainError) as raised:
        decode_id("nope", "Customer", "parent_id")
    error = raised.value.errors[0]
    assert (error.code, error.field, error.message) == (
        "INVALID_ID",
        "parent_id",
        "parent_id is not a valid id",
    )


def test_decode_id_refuses_an_id_of_another_type():
    with pytest.raises(DomainError) as raised:
        decode_id(to_global_id("Product", uuid7()), "Customer", "customer_id")
    assert raised.value.errors[0].message == "customer_id must be the id of a Customer"


def test_parse_global_id_is_a_bad_request_for_malformed_or_wrong_type_ids():
    product_id = to_global_id("Product", uuid7())
    with pytest.raises(BadRequest, match="is not a valid id"):
        parse_global_id("nope", "Customer")
    with pytest.raises(BadRequest, match="is not the id of a Customer"):
        parse_global_id(product_id, "Customer")
    assert parse_global_id(product_id)[0] == "Product"
