"""Free-text FAERS drug names -> active ingredient.

Order of the rules, first hit wins (every rule is case- and spacing-insensitive):

1. ``prod_ai`` (FAERS's active-ingredient field, absent in legacy AERS) when given: each
   ingredient of a combination (``A\\B``) is looked up as below, or kept as written; the
   parts are joined with `` + `` in alphabetical order.
2. The synonyms: psoreg's drug catalogue (generic, brand and alias names of every biologic,
   US biosimilar suffixes such as ``adalimumab-atto``), ``psoreg/data/signals/
   drug_synonyms.csv`` and the user's synonyms file (its rows win); then names learned from
   the store's own FAERS rows that give both a name and ``prod_ai`` (:meth:`DrugMapper.learn`).
3. A known ingredient name: any synonym target, catalogue name or ``prod_ai`` value of the
   store.
4. Each of these is tried on the whole name, on the name without its parenthesised parts and
   on each parenthesised part (``ADALIMUMAB (HUMIRA)``, ``HUMIRA (ADALIMUMAB)``), then again
   without strengths and dosage-form words (``HUMIRA 40 MG PEN``;
   ``drug_name_noise.txt``) and without salt words (``METFORMIN HYDROCHLORIDE``;
   ``salt_words.txt``; only when what is left is known).

A name no rule maps keeps its cleaned text as its "ingredient" and counts as *unmapped* in the
coverage (share of drug rows mapped), which every output reports.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from psoreg.catalogue import all_drugs
from psoreg.errors import PsoregError

__all__ = ["DrugMapper", "load_mapper", "normalise", "SYNONYMS_ENV"]

#: Environment variable naming the user's synonyms file (same columns as the shipped one).
SYNONYMS_ENV = "PSOREG_DRUG_SYNONYMS"

_SPACES = re.compile(r"\s+")
_PARENS = re.compile(r"\(([^()]*)\)")
_STRENGTH = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|ug|g|ml|l|iu|units?|%|mmol|meq)\b(?:\s*/\s*\d*(?:[.,]\d+)?\s*"
    r"(?:mg|mcg|g|ml|l|h|hr|dose|actuation))?",
)
_US_SUFFIX = re.compile(r"^(?P<base>[a-z][a-z ]*[a-z])-[a-z]{4}$")


def normalise(text: str | None) -> str:
    """Lower case, no ®/™, single spaces, no surrounding punctuation."""
    if not text:
        return ""
    t = text.replace("®", " ").replace("™", " ").lower()
    t = _SPACES.sub(" ", t).strip(" .,;:-/*\"'")
    return t


def _data_text(name: str) -> str:
    return resources.files("psoreg.data").joinpath(f"signals/{name}").read_text(encoding="utf-8")


def _words(text: str) -> frozenset[str]:
    return frozenset(
        w.strip().lower() for w in text.splitlines() if w.strip() and not w.startswith("#")
    )


def _read_synonyms(text: str, where: str) -> dict[str, str]:
    rows = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    out: dict[str, str] = {}
    reader = csv.DictReader(io.StringIO("\n".join(rows)))
    if reader.fieldnames is None or not {"name", "ingredient"} <= set(reader.fieldnames):
        raise PsoregError(f"{where}: needs columns name,ingredient (optional: kind,note)")
    for i, row in enumerate(reader, start=2):
        name, ingr = normalise(row.get("name")), normalise(row.get("ingredient"))
        if not name or not ingr:
            raise PsoregError(f"{where}: row {i}: name and ingredient must both be given")
        out[name] = ingr
    return out


@dataclass
class DrugMapper:
    """Maps (drugname, prod_ai) to an ingredient, and a user's drug name to one."""

    synonyms: dict[str, str]
    known: set[str]
    salts: frozenset[str]
    noise: frozenset[str]
    version: str
    sources: list[str] = field(default_factory=list)
    learned: dict[str, str] = field(default_factory=dict)

    def add_known(self, names: Iterable[str | None]) -> None:
        """Add ingredient names (e.g. every ``prod_ai`` of a store) to the vocabulary."""
        for n in names:
            for part in normalise(n).split("\\"):
                part = normalise(part)
                if part:
                    self.known.add(self.synonyms.get(part, part))

    def learn(self, rows: Iterable[tuple[str | None, str | None, int]], share: float = 0.9) -> int:
        """Learn name -> ingredient from rows that carry both a drug name and ``prod_ai``
        (FAERS): a name whose rows give one ingredient in at least ``share`` of them. These
        map the same names where ``prod_ai`` is missing (legacy AERS). Returns names learned."""
        counts: dict[str, dict[str, int]] = {}
        for drugname, prod_ai, n in rows:
            name = normalise(drugname)
            if not name or not normalise(prod_ai) or name in self.synonyms:
                continue
            ingr, _ = self.map(None, prod_ai)
            if ingr:
                per = counts.setdefault(name, {})
                per[ingr] = per.get(ingr, 0) + int(n)
        for name, per in counts.items():
            top, n_top = max(per.items(), key=lambda kv: kv[1])
            if n_top >= share * sum(per.values()):
                self.learned[name] = top
        return len(self.learned)

    def _lookup(self, name: str) -> str | None:
        if not name:
            return None
        if name in self.synonyms:
            return self.synonyms[name]
        if name in self.learned:
            return self.learned[name]
        if name in self.known:
            return name
        m = _US_SUFFIX.match(name)
        if m and (m["base"] in self.synonyms or m["base"] in self.known):
            return self.synonyms.get(m["base"], m["base"])
        return None

    def _strip_noise(self, name: str) -> str:
        t = _STRENGTH.sub(" ", name)
        words = [w for w in re.split(r"[\s,/]+", t) if w and w not in self.noise]
        return normalise(" ".join(words))

    def _strip_salt(self, name: str) -> str:
        words = [w for w in name.split(" ") if w not in self.salts]
        return " ".join(words)

    def _one(self, name: str) -> str | None:
        for candidate in (name, self._strip_noise(name)):
            hit = self._lookup(candidate)
            if hit is None:
                stripped = self._strip_salt(candidate)
                if stripped != candidate:
                    hit = self._lookup(stripped)
            if hit is not None:
                return hit
        return None

    def map_name(self, drugname: str | None) -> str | None:
        """The ingredient of a free-text drug name, or None."""
        t = normalise(drugname)
        if not t:
            return None
        candidates = [t]
        outer = normalise(_PARENS.sub(" ", t))
        if outer and outer != t:
            candidates.append(outer)
        candidates += [normalise(x) for x in _PARENS.findall(t)]
        for c in candidates:
            hit = self._one(c)
            if hit is not None:
                return hit
        return None

    def map(self, drugname: str | None, prod_ai: str | None) -> tuple[str | None, str]:
        """(ingredient, method) with method prod_ai / synonym / unmapped."""
        ai = normalise(prod_ai)
        if ai:
            parts = sorted({self._one(normalise(p)) or normalise(p) for p in ai.split("\\")} - {""})
            if parts:
                return " + ".join(parts), "prod_ai"
        hit = self.map_name(drugname)
        if hit is not None:
            return hit, "name"
        cleaned = self._strip_noise(normalise(drugname)) or normalise(drugname)
        return (cleaned or None), "unmapped"

    def resolve(self, user_name: str) -> str:
        """A drug the user names (generic, brand, salt...) -> the ingredient it is stored as;
        a bare name whose only known form carries a salt (``sertraline`` -> ``sertraline
        hydrochloride``) resolves to that form."""
        hit = self.map_name(user_name)
        if hit is not None:
            return hit
        name = normalise(user_name)
        salted = sorted(k for k in self.known if k != name and self._strip_salt(k) == name)
        return salted[0] if len(salted) == 1 else name


def load_mapper(user_file: Path | None = None) -> DrugMapper:
    """The shipped synonyms + the catalogue + the user's file (``user_file`` or
    ``$PSOREG_DRUG_SYNONYMS``)."""
    synonyms: dict[str, str] = {}
    for d in all_drugs():
        for alias in (d.name, d.brand or "", *d.aliases):
            if alias:
                synonyms[normalise(alias)] = d.name
    shipped = _data_text("drug_synonyms.csv")
    synonyms.update(_read_synonyms(shipped, "drug_synonyms.csv"))
    texts = [shipped]
    sources = ["psoreg/data/signals/drug_synonyms.csv", "psoreg.catalogue"]
    path = user_file or (Path(os.environ[SYNONYMS_ENV]) if os.environ.get(SYNONYMS_ENV) else None)
    if path is not None:
        if not path.exists():
            raise PsoregError(f"{path}: synonyms file not found")
        text = path.read_text(encoding="utf-8")
        synonyms.update(_read_synonyms(text, str(path)))
        texts.append(text)
        sources.append(str(path))
    known = set(synonyms.values())
    salts = _words(_data_text("salt_words.txt"))
    noise = _words(_data_text("drug_name_noise.txt"))
    digest = hashlib.sha256(
        "\n".join([*texts, *sorted(f"{k}={v}" for k, v in synonyms.items())]).encode()
    ).hexdigest()[:12]
    return DrugMapper(synonyms, known, salts, noise, digest, sources)
