"""The simulation's one source of randomness, and the small draws built on it.

``Dice`` is a seeded ``random.Random`` with the draws the world needs (ids, weighted choices,
Poisson counts, log-normal sizes, version bumps, IP addresses).  One ``Dice`` is made per run
and every draw goes through it, in a fixed order: that is what makes the output reproducible.
"""

from __future__ import annotations

import math
import random
import unicodedata
from typing import Any

from .vocabulary import IP_FIRST_OCTETS

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LOWER32 = "0123456789abcdefghjkmnpqrstvwxyz"


class Dice(random.Random):
    def short_id(self, prefix: str, n: int = 12) -> str:
        bits = self.getrandbits(5 * n)
        chars = []
        for _ in range(n):
            chars.append(LOWER32[bits & 31])
            bits >>= 5
        return prefix + "_" + "".join(chars)

    def ulid(self, ms: int) -> str:
        chars = []
        for _ in range(10):
            chars.append(CROCKFORD[ms & 31])
            ms >>= 5
        rand = self.getrandbits(80)
        tail = []
        for _ in range(16):
            tail.append(CROCKFORD[rand & 31])
            rand >>= 5
        return "".join(reversed(chars)) + "".join(tail)

    def hexsha(self) -> str:
        return f"{self.getrandbits(28):07x}"

    def weighted(self, pairs: list[tuple[Any, float]]) -> Any:
        total = sum(w for _, w in pairs)
        x = self.random() * total
        for item, w in pairs:
            x -= w
            if x < 0:
                return item
        return pairs[-1][0]

    def poisson(self, lam: float) -> int:
        if lam <= 0:
            return 0
        limit = math.exp(-lam)
        k, p = 0, self.random()
        while p > limit:
            k += 1
            p *= self.random()
        return k

    def lognorm(self, median: float, sigma: float) -> float:
        return median * math.exp(self.gauss(0, sigma))

    def bump(self, v: tuple[int, int, int]) -> tuple[int, int, int]:
        r = self.random()
        if r < 0.72:
            return (v[0], v[1], v[2] + 1)
        if r < 0.97:
            return (v[0], v[1] + 1, 0)
        return (v[0] + 1, 0, 0)

    def public_ip(self, region: str) -> str:
        return (
            f"{self.choice(IP_FIRST_OCTETS[region])}.{self.randint(1, 254)}."
            f"{self.randint(0, 255)}.{self.randint(1, 254)}"
        )


def ascii_fold(text: str) -> str:
    text = text.replace("ø", "o").replace("ß", "ss").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in text.lower() if c.isalnum())


def fmt_version(v: tuple[int, int, int]) -> str:
    return f"{v[0]}.{v[1]}.{v[2]}"
