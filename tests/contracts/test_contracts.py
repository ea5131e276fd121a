"""The seed documents our APIs follow are kept here verbatim; this guards the copies."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SHARED_SEEDS = HERE.parents[2] / "shared" / "seeds"
COPIES = {
    "seed_000_connect_account.txt": "000_*",
    "seed_004_stripe_connections.txt": "004_*",
}


@pytest.mark.parametrize(("copy", "pattern"), COPIES.items())
def test_the_copy_matches_the_shared_seed(copy, pattern):
    originals = sorted(SHARED_SEEDS.glob(pattern)) if SHARED_SEEDS.is_dir() else []
    if not originals:
        pytest.skip(f"no ../shared/seeds/{pattern} beside this checkout to compare with")
    assert (HERE / copy).read_bytes() == originals[0].read_bytes()
