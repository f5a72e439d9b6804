"""The near-duplicate signatures newsdesk makes are datasketch's MinHash values (affine32, seed 1),
so signatures stored by earlier versions (made with datasketch) still match new ones."""
from __future__ import annotations

import random

from datasketch import MinHash

from models.shingles import shingles
from pipelines.dedup import MinHashSigner


def datasketch_values(body: str, permutations: int, shingle_size: int) -> tuple[int, ...]:
    minhash = MinHash(num_perm=permutations, seed=1, scheme="affine32")
    if found := shingles(body, shingle_size):
        minhash.update_batch([s.encode("utf-8") for s in found])
    return tuple(int(v) for v in minhash.hashvalues)


def test_signatures_are_datasketchs_minhash_values():
    rnd = random.Random(7)
    words = ["".join(rnd.choice("abcdefghijklmnop") for _ in range(rnd.randint(2, 9))) for _ in range(400)]
    words += ["Zürich", "東京", "naïve", "São"]
    signer = MinHashSigner(128, 4)
    bodies = ["", "too short", *(" ".join(rnd.choice(words) for _ in range(rnd.randint(5, 600))) for _ in range(40))]
    for body in bodies:
        assert signer.sign(body).hashvalues == datasketch_values(body, 128, 4)
    assert MinHashSigner(64, 3).sign(bodies[5]).hashvalues == datasketch_values(bodies[5], 64, 3)
