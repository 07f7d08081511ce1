"""``unicrm schema manifest``: a folder of .graphql files hashed into a persisted-query manifest."""

from __future__ import annotations

import hashlib
import json

from cli.support import ok, one_line_error
from unicrm.schema.persisted import load_manifest

COUNT = "query Count {\n  customers { totalCount }\n}\n"
ME = "query Me { __typename }\n"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_manifest_maps_the_hash_of_every_graphql_file_to_its_text(unicrm, tmp_path):
    folder = tmp_path / "operations"
    (folder / "nested").mkdir(parents=True)
    (folder / "count.graphql").write_text(COUNT, encoding="utf-8")
    (folder / "nested" / "me.graphql").write_text(ME, encoding="utf-8")
    (folder / "notes.txt").write_text("not a document", encoding="utf-8")
    printed = json.loads(ok(unicrm("schema", "manifest", str(folder))))
    assert printed == {sha256(COUNT): COUNT, sha256(ME): ME}
    target = tmp_path / "manifest.json"
    result = unicrm("schema", "manifest", str(folder), "--output", str(target))
    assert ok(result).strip() == f"wrote {target} (2 documents)"
    assert load_manifest(target) == printed


def test_a_file_that_is_not_graphql_is_one_error_line(unicrm, tmp_path):
    (tmp_path / "broken.graphql").write_text("query {", encoding="utf-8")
    line = one_line_error(unicrm("schema", "manifest", str(tmp_path)))
    assert line.startswith(f"{tmp_path / 'broken.graphql'} is not a GraphQL document: Syntax Error")


def test_a_folder_without_graphql_files_is_one_error_line(unicrm, tmp_path):
    line = one_line_error(unicrm("schema", "manifest", str(tmp_path)))
    assert line == f"no .graphql files under {tmp_path}"


def test_an_unwritable_output_is_one_error_line(unicrm, tmp_path):
    (tmp_path / "me.graphql").write_text(ME, encoding="utf-8")
    target = tmp_path / "missing" / "manifest.json"
    line = one_line_error(unicrm("schema", "manifest", str(tmp_path), "-o", str(target)))
    assert line == f"cannot write {target}: No such file or directory"
