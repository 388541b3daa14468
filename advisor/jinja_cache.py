"""Compiled jinja2 templates kept between runs: the prompts' and the report's.

Compiling a template costs far more than loading its code: the report's took 0.15 s of every
run, a study's prompt templates 0.05 s before its first request. The code is kept in jinja2's own
file cache, in its default folder (one per user under the system's temp folder), checked against
the template's source and the settings of the environment that compiled it, so a changed
template or environment is compiled afresh. A cache that cannot be made, read or written only
costs the next run its compiling: it never fails a run.
"""

from __future__ import annotations

import contextlib
import functools
import pickle

import jinja2
from jinja2.bccache import Bucket


class _QuietCache(jinja2.FileSystemBytecodeCache):
    def get_bucket(
        self, environment: jinja2.Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        # The checksum covers what the code depends on besides the source: the same file
        # compiled by an environment with other delimiters or escaping is other code.
        return super().get_bucket(environment, name, filename, source + _settings(environment))

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            bucket.reset()  # a damaged entry: compiled again, and rewritten

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _settings(env: jinja2.Environment) -> str:
    """The environment's settings that change the compiled code."""
    autoescape = env.autoescape
    return "\0" + repr(
        (
            env.block_start_string,
            env.block_end_string,
            env.variable_start_string,
            env.variable_end_string,
            env.comment_start_string,
            env.comment_end_string,
            env.line_statement_prefix,
            env.line_comment_prefix,
            env.trim_blocks,
            env.lstrip_blocks,
            env.newline_sequence,
            env.keep_trailing_newline,
            getattr(autoescape, "__qualname__", autoescape),
            env.optimized,
            env.is_async,
            sorted(env.extensions),
        )
    )


@functools.cache
def bytecode_cache() -> jinja2.BytecodeCache | None:
    """jinja2's file cache in its default folder, or none where that folder cannot be made
    safely (jinja2 refuses one another user owns)."""
    try:
        return _QuietCache()
    except (OSError, RuntimeError):
        return None


def from_source(env: jinja2.Environment, source: str) -> jinja2.Template:
    """`env.from_string(source)`, its code kept in the cache by the text itself: one entry per
    distinct template and environment, wherever its file is (keyed by path, every temporary
    folder a template was copied to, each test's for one, would add entries)."""
    cache = bytecode_cache()
    if cache is None:
        return env.from_string(source)
    bucket = cache.get_bucket(env, f"advisor.jinja_cache{_settings(env)}{source}", None, source)
    if bucket.code is None:
        bucket.code = env.compile(source)  # as from_string compiles it: no name, "<template>"
        cache.set_bucket(bucket)
    return env.template_class.from_code(env, bucket.code, env.make_globals(None), None)
