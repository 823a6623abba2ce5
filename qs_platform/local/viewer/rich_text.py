"""QuickSight's rich text (text boxes' `<text-box>` content, insights' `<narrative>`) as plain lines.

    <narrative><if condition="Total.totalAggregate.value &gt; 0">Total: <expression>Total.totalAggregate.formattedValue</expression></if></narrative>

Line breaks come from `<br/>` and block elements (`<li>` gets a bullet); `<expression>` text is asked of a callback,
`<if condition>` kept when its condition holds (a callback too) and `<for listExpression>` repeated per item with
`[index]` standing for it. Styling (`<inline>`, `<b>`, colours) is dropped. The parser is the standard library's
tolerant HTML parser, so malformed markup never fails a page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

_BLOCKS = {"br", "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "text-box", "narrative"}


@dataclass
class _Node:
    tag: str
    attrs: dict
    children: list = field(default_factory=list)  # _Node or str


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list) -> None:
        node = _Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag != "br":
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.stack[-1].children.append(_Node(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


Evaluate = Callable[[str], str]
Condition = Callable[[str], bool]
Items = Callable[[str], int]


def rich_text_lines(
    markup: str,
    expression: Evaluate = lambda text: "",
    condition: Condition = lambda text: True,
    items: Items = lambda text: 0,
) -> list[str]:
    builder = _TreeBuilder()
    builder.feed(markup or "")
    builder.close()
    parts: list[str] = []
    _render(builder.root, parts, expression, condition, items, None)
    text = "".join(parts).replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    return [line for line in lines if line]


def _render(
    node: _Node, out: list[str], expression: Evaluate, condition: Condition, items: Items, index: int | None
) -> None:
    for child in node.children:
        if isinstance(child, str):
            out.append(re.sub(r"\s*\n\s*", " ", child))
            continue
        tag = child.tag
        if tag == "expression":
            text = "".join(c for c in child.children if isinstance(c, str)).strip()
            out.append(expression(_at(text, index)))
            continue
        if tag == "if" and not condition(_at(child.attrs.get("condition", ""), index)):
            continue
        if tag == "for":
            for item in range(items(child.attrs.get("listexpression", ""))):
                _render(child, out, expression, condition, items, item)
            continue
        if tag in _BLOCKS or child.attrs.get("level") == "block":
            out.append("\n" + ("• " if tag == "li" else ""))
        _render(child, out, expression, condition, items, index)
        if tag in _BLOCKS or child.attrs.get("level") == "block":
            out.append("\n")


def _at(text: str, index: int | None) -> str:
    return text if index is None else text.replace("[index]", f"[{index}]")
