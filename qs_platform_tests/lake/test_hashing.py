import gzip

import pytest
import xxhash

from qs_platform.lake.hashing import BUFFER, CorruptCompression, file_digest


@pytest.mark.parametrize("size", [0, 1, BUFFER, 3 * BUFFER + 7])
def test_digest_is_xxh3_of_every_byte_whatever_the_read_size(tmp_path, size):
    data = bytes(i * 7 % 251 for i in range(size))
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    assert file_digest(path) == xxhash.xxh3_128(data).hexdigest()


def test_gzip_digest_hashes_the_compressed_bytes_and_refuses_a_truncated_archive(tmp_path):
    packed = gzip.compress(b"id\n" + b"1\n" * 100_000)
    whole, cut = tmp_path / "a.csv.gz", tmp_path / "b.csv.gz"
    whole.write_bytes(packed)
    cut.write_bytes(packed[:-20])
    assert file_digest(whole) == xxhash.xxh3_128(packed).hexdigest()
    with pytest.raises(CorruptCompression):
        file_digest(cut)
