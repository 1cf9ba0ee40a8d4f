r"""A user's formula f(x, y) as a postfix program: a small whitelist grammar, parsed by hand.

The text is never given to Python's evaluator (``eval``, ``exec``, ``compile``): a tokenizer reads
characters one by one against a fixed alphabet, and a recursive-descent parser turns the tokens into a
postfix program of opcodes and constants that :mod:`engine.surface.stack_machine` runs in JAX. Grammar
(``^`` binds tightest and is right-associative; a unary sign binds looser than ``^``, so ``-x^2`` is
:math:`-(x^2)` and ``2^-x`` is :math:`2^{-x}`)::

    sum      := product (("+" | "-") product)*
    product  := signed (("*" | "/") signed)*
    signed   := ("+" | "-") signed | power
    power    := atom ("^" signed)?
    atom     := number | "x" | "y" | "pi" | "e" | "(" sum ")"
              | f "(" sum ")"            f ∈ sin cos tan exp log sqrt abs tanh sinh cosh
              | g "(" sum "," sum ")"    g ∈ min max

Numbers are decimal (``2``, ``0.5``, ``.5``, ``1e-3``); ``**`` is read as ``^``, and the typographic
``−``, ``×``, ``·``, ``÷`` and ``π`` as ``-``, ``*``, ``*``, ``/`` and ``pi`` (what a formula copied from
the page contains). Limits: :data:`MAX_LENGTH` characters, nesting (parentheses, calls, signs and powers)
at most :data:`MAX_DEPTH` deep, at most :data:`MAX_OPS` operations and a stack of at most
:data:`STACK_SIZE` values. Every refusal is an :class:`ExpressionError` naming the character where it
happened.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

MAX_LENGTH = 200
MAX_DEPTH = 32
MAX_OPS = 128
STACK_SIZE = 40

# Opcodes of the stack machine, with how many values each pops (it pushes one).
OPCODES: tuple[tuple[str, int], ...] = (
    ("nop", 0),
    ("const", 0),
    ("x", 0),
    ("y", 0),
    ("add", 2),
    ("sub", 2),
    ("mul", 2),
    ("div", 2),
    ("pow", 2),
    ("min", 2),
    ("max", 2),
    ("neg", 1),
    ("sin", 1),
    ("cos", 1),
    ("tan", 1),
    ("exp", 1),
    ("log", 1),
    ("sqrt", 1),
    ("abs", 1),
    ("tanh", 1),
    ("sinh", 1),
    ("cosh", 1),
)
OPCODE = {name: code for code, (name, _) in enumerate(OPCODES)}
ARITY = tuple(arity for _, arity in OPCODES)
FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "sinh", "cosh")
BINARY_FUNCTIONS = ("min", "max")
CONSTANTS = {"pi": math.pi, "e": math.e}
VARIABLES = ("x", "y")
NAMES = (*VARIABLES, *CONSTANTS, *FUNCTIONS, *BINARY_FUNCTIONS)
_OPERATORS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow"}
_SYMBOLS = {"−": "-", "×": "*", "·": "*", "÷": "/"}
_PUNCTUATION = "+-*/^(),"
_EXCERPT = 36  # characters shown on each side of the error


class ExpressionError(ValueError):
    """A refused expression: ``reason``, and the characters ``[position, end)`` it points at."""

    def __init__(self, reason: str, text: str, position: int, end: int | None = None):
        self.reason, self.text, self.position = reason, text, position
        self.end = max(end if end is not None else position + 1, position + 1)
        super().__init__(self.message())

    def excerpt(self) -> tuple[str, str]:
        """The text around the error and a caret line under the characters it points at."""
        start = max(0, self.position - _EXCERPT)
        stop = min(len(self.text), self.end + _EXCERPT)
        before = ("…" if start else "") + self.text[start : self.position]
        shown = before + self.text[self.position : stop] + ("…" if stop < len(self.text) else "")
        width = min(self.end, stop) - self.position
        return shown, " " * len(before) + "^" * max(width, 1)

    def message(self) -> str:
        line, caret = self.excerpt()
        return f"{self.reason} at character {self.position + 1}:\n  {line}\n  {caret}"


@dataclass(frozen=True)
class Program:
    """A parsed expression: postfix opcodes, one constant per op (0 unless ``const``), the text."""

    ops: tuple[int, ...]
    consts: tuple[float, ...]
    text: str
    stack_depth: int


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "name", or the punctuation character itself; "end" after the last
    text: str
    start: int
    end: int
    value: float = 0.0


def _tokens(text: str) -> list[_Token]:
    """Split ``text`` into tokens; anything outside the grammar's alphabet is refused where it stands."""
    tokens, i, n = [], 0, len(text)
    while i < n:
        ch = _SYMBOLS.get(text[i], text[i])
        if ch in " \t\r\n":
            i += 1
        elif text.startswith("**", i):
            tokens.append(_Token("^", "**", i, i + 2))
            i += 2
        elif ch in _PUNCTUATION:
            tokens.append(_Token(ch, text[i], i, i + 1))
            i += 1
        elif ch == "π":
            tokens.append(_Token("name", "pi", i, i + 1))
            i += 1
        elif "0" <= ch <= "9" or (ch == "." and i + 1 < n and "0" <= text[i + 1] <= "9"):
            j = _number_end(text, i)
            value = float(text[i:j])  # the slice holds only ASCII digits, one ".", and an exponent
            if not math.isfinite(value) or abs(value) > 3e38:
                raise ExpressionError("number too large for float32", text, i, j)
            tokens.append(_Token("number", text[i:j], i, j, value))
            i = j
        elif "a" <= ch.lower() <= "z" and ch.isascii():
            j = i
            while j < n and text[j].isascii() and ("a" <= text[j].lower() <= "z" or "0" <= text[j] <= "9"):
                j += 1
            tokens.append(_Token("name", text[i:j], i, j))
            i = j
        else:
            raise ExpressionError(f"unexpected character {text[i]!r}", text, i)
    tokens.append(_Token("end", "", n, n))
    return tokens


def _number_end(text: str, i: int) -> int:
    """End of the decimal number starting at ``i``: digits, an optional fraction, an optional exponent."""
    n = len(text)

    def digits(j: int) -> int:
        while j < n and "0" <= text[j] <= "9":
            j += 1
        return j

    j = digits(i)
    if j < n and text[j] == ".":
        j = digits(j + 1)
    if j < n and text[j] in "eE":
        k = j + 1
        if k < n and text[k] in "+-":
            k += 1
        if k < n and "0" <= text[k] <= "9":
            j = digits(k)
    if j < n and text[j] == ".":
        raise ExpressionError("a number has at most one decimal point", text, j)
    return j


class _Parser:
    """Recursive descent over the tokens, emitting postfix ops; depth-, length- and stack-bounded."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0
        self.ops: list[int] = []
        self.consts: list[float] = []
        self.depth = 0
        self.stack = 0
        self.max_stack = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.i]

    def fail(self, reason: str, token: _Token | None = None):
        token = token or self.token
        raise ExpressionError(reason, self.text, token.start, token.end)

    def emit(self, op: str, token: _Token, value: float = 0.0) -> None:
        if len(self.ops) >= MAX_OPS:
            self.fail(f"the expression needs more than {MAX_OPS} operations", token)
        self.ops.append(OPCODE[op])
        self.consts.append(value)
        self.stack += 1 - ARITY[OPCODE[op]]
        self.max_stack = max(self.max_stack, self.stack)
        if self.max_stack > STACK_SIZE:
            self.fail(f"the expression needs more than {STACK_SIZE} values at once", token)

    def expect(self, kind: str, what: str) -> _Token:
        if self.token.kind != kind:
            found = "the end" if self.token.kind == "end" else repr(self.token.text)
            self.fail(f"expected {what}, found {found}")
        token = self.token
        self.i += 1
        return token

    def nested(self, parse, token: _Token):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"nested more than {MAX_DEPTH} deep", token)
        try:
            return parse()
        finally:
            self.depth -= 1

    def parse(self) -> Program:
        if not self.text.strip():
            raise ExpressionError("empty expression", self.text, 0)
        self.sum()
        if self.token.kind != "end":
            if self.token.kind in ("number", "name", "("):
                self.fail(f"missing operator before {self.token.text!r}")
            self.fail(f"unexpected {self.token.text!r}")
        return Program(tuple(self.ops), tuple(self.consts), self.text, self.max_stack)

    def sum(self) -> None:
        self.product()
        while self.token.kind in "+-":
            op = self.token
            self.i += 1
            self.product()
            self.emit(_OPERATORS[op.kind], op)

    def product(self) -> None:
        self.signed()
        while self.token.kind in "*/":
            op = self.token
            self.i += 1
            self.signed()
            self.emit(_OPERATORS[op.kind], op)

    def signed(self) -> None:
        token = self.token
        if token.kind in "+-":
            self.i += 1
            self.nested(self.signed, token)
            if token.kind == "-":
                self.emit("neg", token)
        else:
            self.power()

    def power(self) -> None:
        self.atom()
        if self.token.kind == "^":
            op = self.token
            self.i += 1
            self.nested(self.signed, op)
            self.emit("pow", op)

    def atom(self) -> None:
        token = self.token
        if token.kind == "number":
            self.i += 1
            self.emit("const", token, token.value)
        elif token.kind == "(":
            self.i += 1
            self.nested(self.sum, token)
            self.expect(")", "')'")
        elif token.kind == "name":
            self.name(token)
        elif token.kind == "end":
            self.fail("the expression ends too early: a number, x, y, a function or '(' is missing")
        else:
            self.fail(f"expected a number, x, y, a function or '(', found {token.text!r}")

    def name(self, token: _Token) -> None:
        name = token.text
        self.i += 1
        if name in VARIABLES:
            self.emit(name, token)
        elif name in CONSTANTS:
            self.emit("const", token, CONSTANTS[name])
        elif name in FUNCTIONS or name in BINARY_FUNCTIONS:
            if self.token.kind != "(":
                arguments = "a, b" if name in BINARY_FUNCTIONS else "…"
                self.fail(f"{name} needs its argument in parentheses: {name}({arguments})", token)
            self.i += 1
            self.nested(self.sum, token)
            if name in BINARY_FUNCTIONS:
                self.expect(",", f"',' between the two arguments of {name}")
                self.nested(self.sum, token)
            self.expect(")", "')'")
            self.emit(name, token)
        else:
            hint = " (names are lower case)" if name.lower() in NAMES else ""
            self.fail(f"unknown name {name!r}{hint}; allowed: {', '.join(NAMES)}", token)


@functools.lru_cache(maxsize=256)
def parse_expression(text: str) -> Program:
    """The postfix :class:`Program` of ``text``, or :class:`ExpressionError` saying where it is wrong."""
    if not isinstance(text, str):
        raise ExpressionError("the expression must be text", "", 0)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"longer than {MAX_LENGTH} characters", text, MAX_LENGTH, len(text))
    return _Parser(text).parse()
