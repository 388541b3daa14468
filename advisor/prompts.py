"""Prompt templates: jinja2 files rendered into chat messages.

A template is split into messages by lines holding only a role marker (`<|system|>`, `<|user|>`,
`<|assistant|>`), before rendering, so an eval input that happens to contain a marker cannot forge
a message. Each message renders with `StrictUndefined`: a missing variable fails while every prompt
is rendered up front, before any money is spent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2 import nodes

from advisor.errors import InputError
from advisor.evalset import Example
from advisor.jinja_cache import from_source

Message = dict[str, str]
_MARKER = re.compile(r"^<\|(system|user|assistant|developer)\|>\s*$")
_ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False
)
_DELIMITERS = (_ENV.block_start_string, _ENV.variable_start_string, _ENV.comment_start_string)


@dataclass(frozen=True)
class _Section:
    role: str
    template: jinja2.Template
    fixed: Message | None = None
    """The message, when the section uses no variable (a system prompt, few-shot turns): one
    shared copy instead of one per example, which matters at 100,000 examples."""


@dataclass(frozen=True)
class PromptTemplate:
    """A parsed template; `render` turns one example into chat messages."""

    path: str
    sections: tuple[_Section, ...]

    def render(self, example: Example) -> list[Message]:
        context = {**example.inputs, "metadata": example.metadata, "example_id": example.id}
        messages = []
        for section in self.sections:
            if section.fixed is not None:
                messages.append(section.fixed)
                continue
            try:
                content = section.template.render(context).strip()
            except jinja2.UndefinedError as exc:
                raise InputError(
                    f"{self.path}: example {example.id!r}: {exc.message}"
                    f" (the template can use {', '.join(sorted(context))})"
                ) from None
            except jinja2.TemplateError as exc:
                raise InputError(f"{self.path}: example {example.id!r}: {exc}") from None
            messages.append({"role": section.role, "content": content})
        return messages


def load_template(path: Path, shown_as: str | None = None) -> PromptTemplate:
    """Parse a template file; syntax errors name the file and line."""
    name = shown_as or str(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"{name}: no such template file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{name}: cannot read: {exc}") from None
    starts = [(i, m.group(1)) for i, line in enumerate(lines) if (m := _MARKER.match(line))]
    if not starts:
        starts = [(-1, "user")]  # no markers: the whole file is the user's message
    elif any(line.strip() for line in lines[: starts[0][0]]):
        raise InputError(f"{name}:1: text before the first role marker such as <|system|>")
    sections = []
    for n, (start, role) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        # Blank lines in front keep jinja's line numbers equal to the file's.
        source = "\n" * (start + 1) + "\n".join(lines[start + 1 : end])
        try:
            template = from_source(_ENV, source)
        except jinja2.TemplateSyntaxError as exc:
            raise InputError(f"{name}:{exc.lineno}: template syntax error: {exc.message}") from None
        sections.append(_Section(role, template, _fixed_message(role, source, template)))
    return PromptTemplate(name, tuple(sections))


def _fixed_message(role: str, source: str, template: jinja2.Template) -> Message | None:
    """The section's message if it is plain text (comments aside), else None.

    Only text with no expression at all is safe to render once: a variable differs per example,
    and a filter such as `random` or a call such as `lipsum()` may differ per render. Text with
    no delimiter at all is plain without parsing it (a few-shot prompt's long system message).
    """
    plain = (nodes.Output, nodes.TemplateData)
    marked = any(mark in source for mark in _DELIMITERS)
    if marked and not all(
        isinstance(node, plain) for node in _ENV.parse(source).find_all(nodes.Node)
    ):
        return None
    return {"role": role, "content": template.render().strip()}
