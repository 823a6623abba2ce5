"""Helpers shared by the example generators: seeded randomness, files under the landing layout, names."""

from __future__ import annotations

import random
from pathlib import Path

EN_DASH = "\u2013"


def seeded(*parts: object) -> random.Random:
    """An independent generator per (generator, seed, file...) so adding a store or a day changes nothing else."""
    return random.Random("|".join(str(p) for p in parts))


def open_key(out_dir: Path, key: str):
    path = out_dir.joinpath(*key.split("/"))
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("w", encoding="utf-8", newline="")


def check_rate(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {value!r}")


FIRST_NAMES = (
    "Aarav", "Vivaan", "Aditya", "Vihaan", "Arjun", "Sai", "Reyansh", "Ishaan", "Kabir", "Rohan", "Ananya",
    "Diya", "Aadhya", "Saanvi", "Myra", "Ira", "Kiara", "Meera", "Priya", "Neha", "Rahul", "Vikram", "Pooja",
    "Sneha", "Karan", "Nikhil", "Tanvi", "Riya", "Amit", "Sunita",
)  # fmt: skip
LAST_NAMES = (
    "Sharma", "Verma", "Gupta", "Iyer", "Reddy", "Nair", "Patel", "Shah", "Mehta", "Rao", "Singh", "Kumar",
    "Das", "Bose", "Chatterjee", "Mukherjee", "Pillai", "Menon", "Joshi", "Kulkarni", "Desai", "Agarwal",
    "Malhotra", "Kapoor", "Banerjee",
)  # fmt: skip
