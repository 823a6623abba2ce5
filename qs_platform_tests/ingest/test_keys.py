"""File ids: landed keys mapped into a safe alphabet, reversibly, never to a path segment a filesystem interprets."""

from hypothesis import given, settings
from hypothesis import strategies as st

from qs_platform.ingest.keys import SAFE, decode_key, encode_key

SEGMENT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(SEGMENT, min_size=1, max_size=4))
def test_any_key_round_trips_and_its_id_is_in_the_safe_alphabet(segments):
    key = "/".join(segments)
    file_id = encode_key(key)
    assert decode_key(file_id) == key
    assert set(file_id) <= SAFE | {"~"}
    assert all(part not in ("", ".", "..") for part in file_id.split("/"))


def test_plain_keys_are_kept_as_they_are_and_others_spelled_in_hex():
    assert encode_key("2024/03/file-1.csv") == "2024/03/file-1.csv"
    assert encode_key("a b/ü.csv") == "a~20b/~C3~BC.csv"
    assert encode_key("../x") == "~2E~2E/x"
