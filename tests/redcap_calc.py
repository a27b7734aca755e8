"""A small evaluator of REDCap's calc and branching-logic syntax: only what psoreg emits.

Grammar (REDCap's calc help): numbers, quoted strings, ``[field]`` (and ``[event][field]``),
``+ - * / ^``, comparisons ``= <> != < > <= >=``, ``and``/``or``, parentheses, and the functions
``if(c, a, b)``, ``round(x, d)``, ``isnumber(x)``. A blank field is ``''``; arithmetic on a blank
gives blank (REDCap leaves such a calc empty). Comparisons are numeric when both sides are
numbers, else textual. Written by hand because no Python package parses REDCap logic; it lives
in the tests as the independent check of the expressions psoreg generates.
"""

from __future__ import annotations

import math
import operator
import re
from typing import Any

TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<str>'[^']*'|\"[^\"]*\")|(?P<field>\[[a-z][a-z0-9_]*\])"
    r"|(?P<op><>|!=|<=|>=|[-+*/^=<>(),])|(?P<name>[a-z_]+))"
)
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class CalcSyntaxError(ValueError):
    pass


def tokenize(text: str) -> list[tuple[str, str]]:
    pos, out = 0, []
    text = text.rstrip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise CalcSyntaxError(f"unexpected {text[pos : pos + 20]!r} at {pos}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))  # type: ignore[arg-type]
        pos = m.end()
    return out


class Parser:
    FUNCTIONS = {"if": 3, "round": 2, "isnumber": 1}

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.fields: list[str] = []

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise CalcSyntaxError(f"expected {value or 'more'}, got {tok}")
        self.i += 1
        return tok

    def parse(self) -> tuple:
        tree = self.logic()
        if self.peek() is not None:
            raise CalcSyntaxError(f"unexpected {self.peek()}")
        return tree

    def logic(self) -> tuple:
        left = self.compare()
        while self.peek() in (("name", "and"), ("name", "or")):
            op = self.take()[1]
            left = (op, left, self.compare())
        return left

    def compare(self) -> tuple:
        left = self.additive()
        tok = self.peek()
        if tok and tok[1] in ("=", "<>", "!=", "<", ">", "<=", ">="):
            self.take()
            return (tok[1], left, self.additive())
        return left

    def additive(self) -> tuple:
        left = self.term()
        while self.peek() and self.peek()[1] in "+-" and self.peek()[0] == "op":  # type: ignore[index]
            op = self.take()[1]
            left = (op, left, self.term())
        return left

    def term(self) -> tuple:
        left = self.power()
        while self.peek() and self.peek()[1] in ("*", "/"):  # type: ignore[index]
            op = self.take()[1]
            left = (op, left, self.power())
        return left

    def power(self) -> tuple:
        left = self.unary()
        if self.peek() and self.peek()[1] == "^":  # type: ignore[index]
            self.take()
            return ("^", left, self.power())
        return left

    def unary(self) -> tuple:
        if self.peek() == ("op", "-"):
            self.take()
            return ("neg", self.unary())
        return self.atom()

    def atom(self) -> tuple:
        kind, value = self.take()
        if kind == "num":
            return ("num", float(value))
        if kind == "str":
            return ("str", value[1:-1])
        if kind == "field":
            name = value[1:-1]
            if self.peek() and self.peek()[0] == "field":  # type: ignore[index]
                name = self.take()[1][1:-1]  # [event][field]
            self.fields.append(name)
            return ("field", name)
        if kind == "name" and value in self.FUNCTIONS:
            self.take("(")
            args = [self.logic()]
            while self.peek() == ("op", ","):
                self.take()
                args.append(self.logic())
            self.take(")")
            if len(args) != self.FUNCTIONS[value]:
                raise CalcSyntaxError(f"{value}() takes {self.FUNCTIONS[value]} arguments")
            return ("call", value, args)
        if value == "(":
            inner = self.logic()
            self.take(")")
            return inner
        raise CalcSyntaxError(f"unexpected {value!r}")


def _number(x: Any) -> float | None:
    """A JavaScript-style number (REDCap evaluates calcs in JavaScript), or None."""
    if isinstance(x, bool):
        return float(x)
    if isinstance(x, int | float):
        return float(x)
    try:
        return float(str(x).strip()) if str(x).strip() else None
    except ValueError:
        return None


def evaluate(text: str, record: dict[str, Any]) -> Any:
    """Value of ``text`` for a record (field -> raw value; missing = blank). Blank is ``''``."""
    tree = Parser(text).parse()
    return _eval(tree, record)


def _eval(node: tuple, rec: dict[str, Any]) -> Any:
    kind = node[0]
    if kind in ("num", "str"):
        return node[1]
    if kind == "field":
        value = rec.get(node[1], "")
        return "" if value is None else str(value)
    if kind == "neg":
        x = _number(_eval(node[1], rec))
        return "" if x is None else -x
    if kind == "call":
        name, args = node[1], node[2]
        if name == "if":
            return _eval(args[1] if _truth(_eval(args[0], rec)) else args[2], rec)
        if name == "isnumber":
            return _number(_eval(args[0], rec)) is not None
        x, d = _number(_eval(args[0], rec)), _number(_eval(args[1], rec))
        if x is None or d is None:
            return ""
        scale = 10 ** int(d)
        return math.floor(x * scale + 0.5) / scale  # REDCap's round(): Math.round, half up
    a, b = _eval(node[1], rec), _eval(node[2], rec)
    if kind in ("and", "or"):
        return _truth(a) and _truth(b) if kind == "and" else _truth(a) or _truth(b)
    if kind in ("=", "<>", "!=", "<", ">", "<=", ">="):
        x, y = _number(a), _number(b)
        if x is None or y is None or isinstance(a, str) and not a or isinstance(b, str) and not b:
            x, y = str(a), str(b)  # textual comparison (a blank against '' is equal)
        return {
            "=": x == y,
            "<>": x != y,
            "!=": x != y,
            "<": x < y,
            ">": x > y,
            "<=": x <= y,
            ">=": x >= y,
        }[kind]
    x, y = _number(a), _number(b)
    if x is None or y is None:
        return ""
    ops = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
    return ops[kind](x, y) if kind in ops else x**y


def _truth(x: Any) -> bool:
    if isinstance(x, bool):
        return x
    n = _number(x)
    return bool(n) if n is not None else bool(x)


def fields_of(text: str) -> list[str]:
    """The field names ``text`` refers to (raises CalcSyntaxError on bad syntax)."""
    p = Parser(text)
    p.parse()
    return p.fields
