"""A small PromQL tokenizer, recursive-descent parser and type checker.

Enough of Prometheus' grammar to accept every expression real rule files use and to
reject what `promtool check rules` rejects at parse time: syntax errors, unknown
functions, wrong argument counts and types (`rate(x)` needs a range vector), range
selectors on non-selectors, scalar comparisons without `bool`, set operators on scalars
and empty vector selectors. Errors carry the character offset of the offending token,
so the caller can point inside the YAML scalar (no peer reports that column).

The AST is deliberately small (`Node` with a kind, a type and children) because rules
only ask simple questions: which functions are called on which selectors, what is the
top-level comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SCALAR, VECTOR, MATRIX, STRING = "scalar", "instant vector", "range vector", "string"


class PromQLError(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(slots=True)
class Token:
    kind: str  # ident, number, duration, string, op, eof
    text: str
    pos: int
    value: object = None


@dataclass(slots=True)
class Node:
    kind: str  # number, string, selector, matrix, subquery, call, aggregate, binary, unary, paren
    type: str
    pos: int
    name: str = ""  # function / aggregation / metric name, binary operator
    children: list[Node] = field(default_factory=list)
    value: object = None  # number value, range seconds, matchers list, aggregation grouping, binary matching
    bool_modifier: bool = False
    without: bool = False  # aggregation grouping is `without (...)`, not `by (...)`

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


# name -> (argument types, number of optional trailing args (-1: variadic last), return type)
V, M, S, STR = VECTOR, MATRIX, SCALAR, STRING
_OVER_TIME = [
    "avg_over_time",
    "count_over_time",
    "last_over_time",
    "max_over_time",
    "min_over_time",
    "present_over_time",
    "stddev_over_time",
    "stdvar_over_time",
    "sum_over_time",
    "mad_over_time",
    "absent_over_time",
    "changes",
    "delta",
    "deriv",
    "idelta",
    "increase",
    "irate",
    "rate",
    "resets",
    "first_over_time",
    "ts_of_max_over_time",
    "ts_of_min_over_time",
    "ts_of_last_over_time",
    "ts_of_first_over_time",
    "xrate",
    "xdelta",
    "xincrease",
]
_V_TO_V = [
    "abs",
    "ceil",
    "exp",
    "floor",
    "ln",
    "log10",
    "log2",
    "sgn",
    "sqrt",
    "sort",
    "sort_desc",
    "timestamp",
    "absent",
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "cos",
    "cosh",
    "sin",
    "sinh",
    "tan",
    "tanh",
    "deg",
    "rad",
    "histogram_avg",
    "histogram_count",
    "histogram_sum",
    "histogram_stddev",
    "histogram_stdvar",
]
_DATE = ["day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year"]
FUNCTIONS: dict[str, tuple[tuple[str, ...], int, str]] = {
    **{name: ((M,), 0, V) for name in _OVER_TIME},
    **{name: ((V,), 0, V) for name in _V_TO_V},
    **{name: ((V,), 1, V) for name in _DATE},
    "clamp": ((V, S, S), 0, V),
    "clamp_max": ((V, S), 0, V),
    "clamp_min": ((V, S), 0, V),
    "double_exponential_smoothing": ((M, S, S), 0, V),
    "holt_winters": ((M, S, S), 0, V),
    "histogram_fraction": ((S, S, V), 0, V),
    "histogram_quantile": ((S, V), 0, V),
    "label_join": ((V, STR, STR, STR), -1, V),
    "label_replace": ((V, STR, STR, STR, STR), 0, V),
    "predict_linear": ((M, S), 0, V),
    "quantile_over_time": ((S, M), 0, V),
    "round": ((V, S), 1, V),
    "scalar": ((V,), 0, S),
    "sort_by_label": ((V, STR), -1, V),
    "sort_by_label_desc": ((V, STR), -1, V),
    "time": ((), 0, S),
    "pi": ((), 0, S),
    "vector": ((S,), 0, V),
    "info": ((V, V), 1, V),
    "limitk": ((S, V), 0, V),
}
AGGREGATORS = {
    "sum": None, "avg": None, "count": None, "min": None, "max": None, "group": None, "stddev": None,
    "stdvar": None, "topk": S, "bottomk": S, "quantile": S, "count_values": STR, "limitk": S,
    "limit_ratio": S,
}  # fmt: skip
SET_OPS = {"and", "or", "unless"}
COMPARISONS = {"==", "!=", ">", "<", ">=", "<="}
# binding power of binary operators (higher binds tighter); ^ is right-associative
PRECEDENCE = {
    "or": 1, "and": 2, "unless": 2, **dict.fromkeys(COMPARISONS, 3), "+": 4, "-": 4,
    "*": 5, "/": 5, "%": 5, "atan2": 5, "^": 6,
}  # fmt: skip
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"}

_DURATION = re.compile(r"(?:\d+(?:ms|s|m|h|d|w|y))+")
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|(?i:inf|nan)(?![a-zA-Z0-9_:])")
_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_IDENT_IN_BRACKETS = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")  # `[1h:5m]`: the colon separates
_OPS = sorted(
    ["==", "!=", ">=", "<=", "=~", "!~", "+", "-", "*", "/", "%", "^", ">", "<", "=", ",", "(", ")",
     "{", "}", "[", "]", ":", "@"], key=len, reverse=True,
)  # fmt: skip
_OP = re.compile("|".join(re.escape(op) for op in _OPS))
_SPACE = re.compile(r"\s+")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


MAX_DURATION_DIGITS = 18  # Prometheus refuses a duration past int64 milliseconds anyway


def duration_seconds(text: str) -> float:
    parts = re.findall(r"(\d+)(ms|s|m|h|d|w|y)", text)
    if any(len(n) > MAX_DURATION_DIGITS for n, _ in parts):  # 5,000 digits: int() refuses them
        raise PromQLError(f"duration out of range: {text[:40]!r}", 0)
    return sum(int(n) * _UNITS[u] for n, u in parts)


def _number(text: str, pos: int) -> float:
    if text[:2] in ("0x", "0X") and len(text) > 18:  # past int64, as Prometheus refuses it
        raise PromQLError(f"bad number or duration syntax: {text[:40]!r}", pos)
    return float(int(text, 16)) if text[:2] in ("0x", "0X") else float(text)


# The body of a quoted string: any character but the quote, a newline or a backslash, or a
# backslash and the character it escapes (whatever it is); backticks take everything but `.
_STRING_BODY = {
    '"': re.compile(r'(?:[^"\\\n]|\\[\s\S])*'),
    "'": re.compile(r"(?:[^'\\\n]|\\[\s\S])*"),
    "`": re.compile(r"[^`]*"),
}


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    i, n = 0, len(text)
    brackets = 0
    while i < n:
        c = text[i]
        if c.isspace():
            i = _SPACE.match(text, i).end()
            continue
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if c in "\"'`":
            j = _STRING_BODY[c].match(text, i + 1).end()  # up to the closing quote, if any
            if j >= n or text[j] != c:  # a newline (not escaped) or the end of the text first
                raise PromQLError("unterminated quoted string", i)
            out.append(Token("string", text[i : j + 1], i, _unquote(text[i : j + 1], i)))
            i = j + 1
            continue
        if c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            dur = _DURATION.match(text, i)
            num = _NUMBER.match(text, i)
            if dur and (num is None or dur.end() > num.end()):
                end = dur.end()
                try:
                    kind, value = "duration", duration_seconds(dur.group())
                except PromQLError as exc:
                    raise PromQLError(str(exc), i) from None
            else:
                end = num.end()
                kind = "number"
                value = _number(num.group(), i)
            if end < n and (text[end].isalnum() or text[end] in "_."):
                bad = re.match(r"[0-9a-zA-Z_.]+", text[i:]).group()
                raise PromQLError(f"bad number or duration syntax: {bad!r}", i)
            out.append(Token(kind, text[i:end], i, value))
            i = end
            continue
        match = (_IDENT_IN_BRACKETS if brackets else _IDENT).match(text, i)
        if match:
            word = match.group()
            lower = word.lower()
            if lower in ("inf", "nan"):
                out.append(Token("number", word, i, float(lower)))
            else:
                out.append(Token("ident", word, i))
            i = match.end()
            continue
        op_match = _OP.match(text, i)  # longest operator first: _OPS is sorted by length
        if op_match is None:
            raise PromQLError(f"unexpected character: {c!r}", i)
        op = op_match.group()
        brackets += (op == "[") - (op == "]")
        out.append(Token("op", op, i))
        i += len(op)
    out.append(Token("eof", "", n))
    return out


_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def _unquote(raw: str, pos: int) -> str:
    """A PromQL string literal's value (Go escapes); raw strings in backticks are literal."""
    if raw[0] == "`":
        return raw[1:-1]
    body, out, i = raw[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1 : i + 2]
        width = {"x": 2, "u": 4, "U": 8}.get(nxt)
        if nxt in _ESCAPES or nxt == raw[0]:
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
        elif width and re.fullmatch(f"[0-9a-fA-F]{{{width}}}", body[i + 2 : i + 2 + width]):
            out.append(chr(int(body[i + 2 : i + 2 + width], 16)))
            i += 2 + width
        elif re.fullmatch(r"[0-7]{3}", body[i + 1 : i + 4]):
            out.append(chr(int(body[i + 1 : i + 4], 8)))
            i += 4
        else:
            raise PromQLError(f"unknown escape sequence {body[i : i + 2]!r}", pos + 1 + i)
    return "".join(out)


def regex_error(pattern: str) -> str | None:
    """Why Go's regexp would refuse `pattern` (checked with RE2, never Python's re), or None."""
    from manifestlint.userregex import regex_error as re2_error

    return re2_error(pattern)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.last = len(self.tokens) - 1  # the eof token: reading stays there
        self.tok = self.tokens[0]  # the current token (tokens[i]), kept by `next`

    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.i + k, self.last)]

    def next(self) -> Token:
        tok = self.tok
        if self.i < self.last:
            self.i += 1
            self.tok = self.tokens[self.i]
        return tok

    def is_op(self, *ops: str) -> bool:
        tok = self.tok
        return tok.kind == "op" and tok.text in ops

    def expect(self, op: str, context: str) -> Token:
        if not self.is_op(op):
            raise self.unexpected(context, f'"{op}"')
        return self.next()

    def unexpected(self, context: str, wanted: str = "") -> PromQLError:
        tok = self.tok
        what = "end of input" if tok.kind == "eof" else f"{_describe(tok)}"
        suffix = f", expected {wanted}" if wanted else ""
        if tok.kind == "eof" and context.startswith("("):
            return PromQLError("unclosed left parenthesis", tok.pos)
        return PromQLError(f"unexpected {what} in {context}{suffix}", tok.pos)

    # ------------------------------------------------------------------ expressions
    def parse(self) -> Node:
        if self.tok.kind == "eof":
            raise PromQLError("no expression found in input", 0)
        node = self.expr(0)
        if self.tok.kind != "eof":
            if self.is_op(")"):
                raise PromQLError("unexpected right parenthesis ')'", self.tok.pos)
            raise self.unexpected("expression", "end of input or an operator")
        return node

    def binary_op(self) -> str | None:
        tok = self.tok
        if tok.kind == "op" and tok.text in PRECEDENCE:
            return tok.text
        if tok.kind == "ident" and tok.text.lower() in ("and", "or", "unless", "atan2"):
            return tok.text.lower()
        return None

    def expr(self, min_prec: int) -> Node:
        left = self.unary()
        while True:
            op = self.binary_op()
            if op is None or PRECEDENCE[op] < min_prec:
                return left
            op_tok = self.next()
            bool_mod = False
            if self.tok.kind == "ident" and self.tok.text.lower() == "bool":
                if op not in COMPARISONS:
                    raise PromQLError("bool modifier can only be used on comparison operators", self.tok.pos)
                bool_mod = True
                self.next()
            matching = None  # (on | ignoring, labels, group_left | group_right | "")
            if self.tok.kind == "ident" and self.tok.text.lower() in ("on", "ignoring"):
                kind = self.next().text.lower()
                labels = self.label_list("grouping")
                group = ""
                if self.tok.kind == "ident" and self.tok.text.lower() in ("group_left", "group_right"):
                    if op in SET_OPS:
                        raise PromQLError(f"no grouping allowed for {op!r} operation", self.tok.pos)
                    group = self.next().text.lower()
                    if self.is_op("("):
                        self.label_list("grouping")
                matching = (kind, tuple(labels), group)
            next_prec = PRECEDENCE[op] if op == "^" else PRECEDENCE[op] + 1
            right = self.expr(next_prec)
            left = self.check_binary(op, op_tok, left, right, bool_mod, matching is not None)
            left.value = matching  # the vector matching, for rules that follow labels

    def check_binary(
        self, op: str, tok: Token, left: Node, right: Node, bool_mod: bool, matching: bool
    ) -> Node:
        for side in (left, right):
            if side.type not in (SCALAR, VECTOR):
                raise PromQLError(
                    "binary expression must contain only scalar and instant vector types", side.pos
                )
        both_scalar = left.type == SCALAR and right.type == SCALAR
        if op in COMPARISONS and both_scalar and not bool_mod:
            raise PromQLError("comparisons between scalars must use BOOL modifier", tok.pos)
        if op in SET_OPS and (left.type == SCALAR or right.type == SCALAR):
            raise PromQLError(f"set operator {op!r} not allowed in binary scalar expression", tok.pos)
        if matching and (left.type == SCALAR or right.type == SCALAR):
            raise PromQLError("vector matching only allowed between instant vectors", tok.pos)
        node = Node("binary", SCALAR if both_scalar else VECTOR, tok.pos, op, [left, right])
        node.bool_modifier = bool_mod
        return node

    def unary(self) -> Node:
        if self.is_op("+", "-"):
            tok = self.next()
            operand = self.unary_operand()
            if operand.type not in (SCALAR, VECTOR):
                raise PromQLError(
                    "unary expression only allowed on expressions of type scalar or instant vector", tok.pos
                )
            if operand.kind == "number" and tok.text == "-":
                return Node("number", SCALAR, tok.pos, value=-float(operand.value))
            return Node("unary", operand.type, tok.pos, tok.text, [operand])
        return self.postfix(self.primary())

    def unary_operand(self) -> Node:
        # unary minus binds looser than ^ : -a^b == -(a^b)
        node = self.unary()
        if self.is_op("^"):
            tok = self.next()
            right = self.expr(PRECEDENCE["^"])
            node = self.check_binary("^", tok, node, right, False, False)
        return node

    def postfix(self, node: Node) -> Node:
        while True:
            if self.is_op("["):
                node = self.range_or_subquery(node)
            elif self.tok.kind == "ident" and self.tok.text.lower() == "offset":
                tok = self.next()
                if node.kind not in ("selector", "matrix", "subquery"):
                    raise PromQLError("offset modifier must be preceded by an instant vector selector "
                                      "or range vector selector or a subquery", tok.pos)  # fmt: skip
                if self.is_op("-", "+"):
                    self.next()
                if self.tok.kind not in ("duration", "number"):
                    raise self.unexpected("offset", "duration")
                self.next()
            elif self.is_op("@"):
                tok = self.next()
                if node.kind not in ("selector", "matrix", "subquery"):
                    raise PromQLError("@ modifier must be preceded by an instant vector selector "
                                      "or range vector selector or a subquery", tok.pos)  # fmt: skip
                if self.is_op("-", "+"):
                    self.next()
                if self.tok.kind == "number":
                    self.next()
                elif self.tok.kind == "ident" and self.tok.text in ("start", "end"):
                    self.next()
                    self.expect("(", "@ modifier")
                    self.expect(")", "@ modifier")
                else:
                    raise self.unexpected("@ modifier", "timestamp")
            else:
                return node

    def range_or_subquery(self, node: Node) -> Node:
        open_tok = self.next()
        rng = self.duration_value("range")
        if self.is_op(":"):
            self.next()
            if not self.is_op("]"):
                self.duration_value("subquery step")
            self.expect("]", "subquery selector")
            if node.type != VECTOR:
                raise PromQLError(
                    f"subquery is only allowed on instant vector, got {node.type}", open_tok.pos
                )
            return Node("subquery", MATRIX, node.pos, children=[node], value=rng)
        self.expect("]", "matrix selector")
        if node.kind != "selector":
            raise PromQLError("ranges only allowed for vector selectors", open_tok.pos)
        return Node("matrix", MATRIX, node.pos, node.name, [node], value=rng)

    def duration_value(self, what: str) -> float:
        tok = self.tok
        if tok.kind in ("duration", "number"):
            self.next()
            if float(tok.value) <= 0 and what == "range":
                raise PromQLError(f"invalid range: {tok.text!r} must be positive", tok.pos)
            return float(tok.value)
        if self.is_op("]") or tok.kind == "eof":
            raise PromQLError(f"missing {what} duration", tok.pos)
        raise self.unexpected(f"{what}", "duration")

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.next()
            return Node("number", SCALAR, tok.pos, value=tok.value)
        if tok.kind == "string":
            self.next()
            return Node("string", STRING, tok.pos, value=tok.value)
        if tok.kind == "duration":
            raise PromQLError(f"unexpected duration {tok.text!r}", tok.pos)
        if self.is_op("("):
            self.next()
            if self.is_op(")"):
                raise PromQLError("unexpected right parenthesis ')'", self.tok.pos)
            inner = self.expr(0)
            if not self.is_op(")"):
                if self.tok.kind == "eof":
                    raise PromQLError("unclosed left parenthesis", tok.pos)
                raise self.unexpected("parenthesized expression", '")"')
            self.next()
            return Node("paren", inner.type, tok.pos, children=[inner])
        if self.is_op("{"):
            return self.selector(None)
        if tok.kind == "ident":
            lower = tok.text.lower()
            if lower in AGGREGATORS and (
                self.peek().text == "(" or self.peek().text.lower() in ("by", "without")
            ):
                return self.aggregate()
            if self.peek().kind == "op" and self.peek().text == "(":
                return self.call()
            if lower in KEYWORDS or lower in ("and", "or", "unless", "atan2"):
                raise self.unexpected("expression")
            return self.selector(self.next())
        if tok.kind == "eof":
            raise PromQLError("unexpected end of input", tok.pos)
        if self.is_op(")"):
            raise PromQLError("unexpected right parenthesis ')'", tok.pos)
        raise self.unexpected("expression")

    def label_list(self, context: str) -> list[str]:
        self.expect("(", context)
        labels: list[str] = []
        while not self.is_op(")"):
            if self.tok.kind in ("ident", "string"):
                labels.append(self.next().text)
            else:
                raise self.unexpected(f"{context}", "label")
            if self.is_op(","):
                self.next()
            elif not self.is_op(")"):
                raise self.unexpected(f"{context}", '"," or ")"')
        self.next()
        return labels

    def selector(self, name_tok: Token | None) -> Node:
        pos = name_tok.pos if name_tok else self.tok.pos
        name = name_tok.text if name_tok else ""
        matchers: list[tuple[str, str, str]] = []
        if self.is_op("{"):
            brace = self.next()
            while not self.is_op("}"):
                lab = self.tok
                if lab.kind not in ("ident", "string"):
                    raise self.unexpected("label matching", "label name")
                self.next()
                label = lab.value if lab.kind == "string" else lab.text
                if lab.kind == "string" and (self.is_op(",", "}")):
                    if name:
                        raise PromQLError("metric name must not be set twice", lab.pos)
                    name = str(label)
                else:
                    if not self.is_op("=", "!=", "=~", "!~"):
                        raise self.unexpected("label matching", "label matching operator")
                    op = self.next().text
                    if self.tok.kind != "string":
                        raise self.unexpected("label matching", "string")
                    val_tok = self.next()
                    value = str(val_tok.value)
                    if op in ("=~", "!~"):
                        problem = regex_error(f"^(?s:{value})$")  # as Prometheus anchors it
                        if problem:
                            raise PromQLError(f"error parsing regexp: {problem}", val_tok.pos)
                    if label == "__name__" and op == "=" and name and name != value:
                        raise PromQLError("metric name must not be set twice", lab.pos)
                    matchers.append((str(label), op, value))
                if self.is_op(","):
                    self.next()
                elif not self.is_op("}"):
                    if self.tok.kind == "eof":
                        raise PromQLError("unexpected end of input inside braces", self.tok.pos)
                    raise self.unexpected("label matching", '"," or "}"')
            self.next()
            if not name and not any(not _matches_empty(op, v) for _l, op, v in matchers):
                raise PromQLError("vector selector must contain at least one non-empty matcher", brace.pos)
        return Node("selector", VECTOR, pos, name, value=matchers)

    def call(self) -> Node:
        tok = self.next()
        spec = FUNCTIONS.get(tok.text)
        if spec is None:
            raise PromQLError(f"unknown function with name {tok.text!r}", tok.pos)
        self.expect("(", "function call")
        args = self.args(tok)
        types, optional, ret = spec
        required = len(types) - max(optional, 0) - (1 if optional < 0 else 0)
        if optional < 0:
            required = len(types) - 1
        if len(args) < required or (optional >= 0 and len(args) > len(types)):
            raise PromQLError(
                f"expected {_count(required, len(types), optional)} argument(s) in call to {tok.text!r}, "
                f"got {len(args)}", tok.pos)  # fmt: skip
        for k, arg in enumerate(args):
            want = types[min(k, len(types) - 1)]
            _expect_type(arg, want, f"call to function {tok.text!r}")
        return Node("call", ret, tok.pos, tok.text, args)

    def args(self, opener: Token) -> list[Node]:
        args: list[Node] = []
        while not self.is_op(")"):
            if self.tok.kind == "eof":
                raise PromQLError("unclosed left parenthesis", opener.pos + len(opener.text))
            args.append(self.expr(0))
            if self.is_op(","):
                self.next()
                if self.is_op(")"):
                    raise self.unexpected("function call", "expression")
            elif not self.is_op(")"):
                if self.tok.kind == "eof":
                    raise PromQLError("unclosed left parenthesis", opener.pos + len(opener.text))
                raise self.unexpected("function call", '"," or ")"')
        self.next()
        return args

    def aggregate(self) -> Node:
        tok = self.next()
        name = tok.text.lower()
        grouping: list[str] | None = None
        without = False
        if self.tok.kind == "ident" and self.tok.text.lower() in ("by", "without"):
            without = self.next().text.lower() == "without"
            grouping = self.label_list("grouping")
        if not self.is_op("("):
            raise self.unexpected("aggregation", '"("')
        self.next()
        args = self.args(tok)
        if self.tok.kind == "ident" and self.tok.text.lower() in ("by", "without"):
            if grouping is not None:
                raise PromQLError("aggregation can only have one grouping", self.tok.pos)
            without = self.next().text.lower() == "without"
            grouping = self.label_list("grouping")
        param = AGGREGATORS[name]
        wanted = 2 if param else 1
        if len(args) != wanted:
            raise PromQLError(f"wrong number of arguments for aggregate expression provided, expected "
                              f"{wanted}, got {len(args)}", tok.pos)  # fmt: skip
        if param:
            _expect_type(args[0], param, "aggregation parameter")
        arg = args[-1]
        if arg.type != VECTOR:
            raise PromQLError(
                f"expected type instant vector in aggregation expression, got {arg.type}", arg.pos
            )
        node = Node("aggregate", VECTOR, tok.pos, name, args)
        node.value = grouping
        node.without = without
        return node


def _describe(tok: Token) -> str:
    if tok.kind == "op":
        return f'"{tok.text}"'
    if tok.kind == "ident":
        return f"identifier {tok.text!r}"
    return f"{tok.kind} {tok.text!r}"


def _count(required: int, total: int, optional: int) -> str:
    if optional < 0:
        return f"at least {required}"
    if optional:
        return f"{required} to {total}"
    return str(required)


def _expect_type(arg: Node, want: str, context: str) -> None:
    if arg.type != want:
        raise PromQLError(f"expected type {want} in {context}, got {arg.type}", arg.pos)


def _matches_empty(op: str, value: str) -> bool:
    if op == "=":
        return value == ""
    if op == "!=":
        return value != ""
    from manifestlint.userregex import full_match

    hit = full_match(value, "", "s")
    if hit is None:
        return False
    return hit if op == "=~" else not hit


_PARSED: dict[str, Node | PromQLError] = {}


def parse(text: str) -> Node:
    """The AST of `text`; raises PromQLError with the offending token's offset.

    Results are memoised per expression: several rules read the same expression, and rule
    files repeat expressions across alerts. The tree is never modified by its readers."""
    result = _PARSED.get(text)
    if result is None:
        try:
            result = _Parser(text).parse()
            _check_depth(result)
        except PromQLError as exc:
            result = exc
        except RecursionError:
            result = PromQLError("expression nests too deeply", 0)
        if len(_PARSED) >= 4096:
            _PARSED.clear()
        _PARSED[text] = result
    if isinstance(result, PromQLError):
        raise result.with_traceback(None)
    return result


MAX_AST_DEPTH = 1000  # levels of the syntax tree every reader may walk recursively


def _check_depth(root: Node) -> None:
    """PromQLError when the tree is deeper than MAX_AST_DEPTH (measured without recursion):
    100,000 `+` terms parse into a chain 100,000 levels deep, which every rule reading the
    expression walked recursively (RecursionError in every rule, a project rule's included)."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_AST_DEPTH:
            raise PromQLError(
                f"expression nests deeper than {MAX_AST_DEPTH:,} levels (operators or brackets); "
                "not checked further",
                node.pos,
            )
        stack.extend((child, depth + 1) for child in node.children)


def check(text: str) -> PromQLError | None:
    try:
        parse(text)
    except PromQLError as exc:
        return exc
    return None


# ---------------------------------------------------------------- offsets back into the YAML source
# A scalar's value is not its source text (quotes, escapes, folding, block indentation), so
# an offset into the value is mapped by walking the source (the document's text) the way the
# YAML scanner does; when the walk disagrees with the value, the caller falls back to the
# value's own span.


def _split_lines(text: str) -> list[str] | None:
    """The source's lines, split once per file (rules ask for many scalars of one file)."""
    if not text:
        return None
    if _LINES[0] is not text:
        _LINES[:] = [text, text.splitlines()]
    return _LINES[1]


_LINES: list = [None, None]


def value_positions(text: str, span, style: str, value: str) -> list[tuple[int, int]] | None:
    """(line, column), 1-based, of every character of the scalar `value` written at `span`
    (a model.Span) in `style` ('', "'", '"', '|' or '>') in the source `text`; None when the
    source cannot be walked."""
    lines = _split_lines(text)
    line = span.line - 1
    col = span.col - 1
    if lines is None or line >= len(lines) or not _looks_like(lines[line][col:], style, value):
        return _inferred_positions(span, style, value)
    out: list[tuple[int, int]] = []
    if style in ("|", ">"):
        header = lines[line][col:]
        digits = re.search(r"[1-9]", header.split("#")[0])
        line += 1
        indent = None
        if digits:
            base = len(lines[line - 1]) - len(lines[line - 1].lstrip(" "))
            indent = base + int(digits.group())
        while line < len(lines) and len(out) < len(value):
            text = lines[line]
            if indent is None:
                if not text.strip():
                    out.append((line + 1, 1))
                    line += 1
                    continue
                indent = len(text) - len(text.lstrip(" "))
            body = text[indent:] if len(text) >= indent else ""
            for k in range(len(body)):
                out.append((line + 1, indent + k + 1))
            # a line break: kept (`|`) or folded into a space (`>`): one character either way
            out.append((line + 1, indent + len(body) + 1))
            line += 1
        return out if len(out) >= len(value) else None
    quote = style if style in ("'", '"') else ""
    pos = col + (1 if quote else 0)
    while len(out) < len(value) and line < len(lines):
        text = lines[line]
        if pos >= len(text.rstrip()) if not quote else pos >= len(text):
            # a line break inside the scalar folds to one space (or one newline per blank line)
            out.append((line + 1, len(text) + 1))
            line += 1
            while line < len(lines) and not lines[line].strip():
                if len(out) < len(value) and value[len(out) - 1] == "\n":
                    out.append((line + 1, 1))
                line += 1
            if line >= len(lines):
                break
            pos = len(lines[line]) - len(lines[line].lstrip(" \t"))
            continue
        ch = text[pos]
        if quote == '"' and ch == "\\":
            nxt = text[pos + 1 : pos + 2]
            width = {"x": 4, "u": 6, "U": 10}.get(nxt, 2)
            if not nxt:  # escaped line break: joins without a space
                line += 1
                pos = len(lines[line]) - len(lines[line].lstrip(" \t")) if line < len(lines) else 0
                continue
            out.append((line + 1, pos + 1))
            pos += width
            continue
        if quote == "'" and ch == "'" and text[pos + 1 : pos + 2] == "'":
            out.append((line + 1, pos + 1))
            pos += 2
            continue
        if quote and ch == quote:
            break
        out.append((line + 1, pos + 1))
        pos += 1
    return out if len(out) >= len(value) else None


def _looks_like(source: str, style: str, value: str) -> bool:
    """Whether the source text at the scalar's position plausibly is this scalar (the path may
    name another file with the same relative name)."""
    if style:
        return source[:1] == style
    return source.startswith(value.split("\n")[0][:20])


def _inferred_positions(span, style: str, value: str) -> list[tuple[int, int]] | None:
    """Positions without the source text, from the span alone: exact for single-line plain
    and quoted scalars (a literal block's indentation cannot be told without the text)."""
    if style in ("", "'", '"') and span.line == span.end_line:
        quote = 1 if style else 0
        if span.end_col - span.col == len(value) + 2 * quote:
            return [(span.line, span.col + quote + k) for k in range(len(value))]
    return None
