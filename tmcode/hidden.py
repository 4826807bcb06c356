"""Characters that never reach an output raw, and how they are shown instead.

Control characters drive terminals; bidirectional and invisible format characters make text
read differently from what it is (U+202E reverses it, a zero-width space hides a word break);
lone surrogates, from file names that are not UTF-8, cannot be written at all. Every output
shows them as escapes (``\\x1b``, ``\\u202e``); :mod:`tmcode.render.escape` builds each
output's policy on this module, which stays light so that errors and ``validate`` can use it.
"""

from __future__ import annotations

import re

# Characters never shown raw: C0 and C1 controls; Unicode format characters (category Cf:
# bidi embeddings, overrides and isolates, zero-width characters, the byte-order mark, tag
# characters); the line and paragraph separators; lone surrogates (undecodable file names);
# the Hangul fillers, which display as blank letters; and the XML non-characters.
_HIDDEN_OTHER = (
    "\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160"
    "\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\u3164\ud800-\udfff\ufeff"
    "\uffa0\ufff9-\ufffb\ufffe\uffff\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
HIDDEN = re.compile(f"[\x00-\x1f{_HIDDEN_OTHER}]")
# The hidden characters that str.isprintable() lets through.
_FILLERS = re.compile("[\u115f\u1160\u3164\uffa0]")
# The same, sparing tab, line feed and carriage return where the output lays text out.
_HIDDEN_BUT_LAYOUT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_HIDDEN_OTHER}]")
# In encoded JSON every C0 control is already escaped; a raw tab or newline is layout.
_HIDDEN_IN_JSON = re.compile(f"[{_HIDDEN_OTHER}]")

_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def shown(text: str) -> bool:
    """True when no character of ``text`` is hidden: the common case, checked in C."""
    return text.isprintable() and (text.isascii() or not _FILLERS.search(text))


def reveal(text: str, layout: bool = False) -> str:
    """Show hidden characters as escapes (``\\x1b``, ``\\u202e``); ``layout`` keeps tab and newlines."""
    if shown(text):
        return text
    return (_HIDDEN_BUT_LAYOUT if layout else HIDDEN).sub(_escape_char, text)


def terminal_text(text: str, multiline: bool = False) -> str:
    """Text for a terminal or CI log: nothing in it moves the cursor, recolours or reorders.

    A field stays on its line (a newline in it is shown as ``\\n``) so that model text cannot
    forge a line of the report; ``multiline`` keeps newlines and tabs, for messages.
    """
    if multiline:
        return reveal(text.replace("\r\n", "\n"), layout=True).replace("\r", "\\r")
    return reveal(text)


def json_text(document: str) -> str:
    """Encoded JSON with hidden characters as ``\\uXXXX``: the same data, safe to print.

    Only string contents can hold such characters, and inside a JSON string the escape means
    the same character, so the parsed data does not change.
    """
    if shown(document.replace("\n", "")):
        return document
    return _HIDDEN_IN_JSON.sub(_json_escape, document)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
