"""LZ-string, base64 flavour: what posthog-js sent with `compression=lz64`.

The algorithm works on UTF-16 code units (JavaScript string characters). A code unit is kept
here as a one-character Python string (`chr(unit)`, lone surrogates included); only the final
result is turned back into a real `str`, which fails on unpaired surrogates.

The bit stream: each value is written least significant bit first, and the bits fill each
6-bit base64 character from its most significant bit down. Codes 0 and 1 announce a new 8- or
16-bit literal, code 2 ends the stream, 3 and up name dictionary entries. Code width starts at
2 bits (compressor) / 3 bits (decompressor, which runs one entry ahead) and grows by one each
time the dictionary fills the current width.
"""

from __future__ import annotations

import sys
from array import array

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
# '=' is index 64 in lz-string's table, whose low six bits are zero.
_SIX_BITS = {char: format(index & 63, "06b") for index, char in enumerate(_ALPHABET)}


class OutputTooLarge(ValueError):
    """The decompressed text would exceed the caller's `max_output`."""


def _code_units(text: str) -> str:
    units = array("H", text.encode("utf-16-le", "surrogatepass"))
    if sys.byteorder == "big":
        units.byteswap()
    return "".join(map(chr, units))


def _from_code_units(units: str) -> str:
    try:
        return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError as err:
        raise ValueError(f"lz-string output holds an unpaired UTF-16 surrogate: {err}") from err


def compress_to_base64(text: str) -> str:
    """`LZString.compressToBase64(text)`, byte for byte."""
    bits: list[str] = []
    dictionary: dict[str, int] = {}
    pending: set[str] = set()  # single units seen but not yet sent as literals
    enlarge_in, dict_size, num_bits = 2, 3, 2
    word = ""

    def write(value: int, width: int) -> None:
        bits.append(format(value, f"0{width}b")[::-1])

    def emit(w: str) -> None:
        nonlocal enlarge_in, num_bits
        if w in pending:
            unit = ord(w[0])
            if unit < 256:
                write(0, num_bits)
                write(unit, 8)
            else:
                write(1, num_bits)
                write(unit, 16)
            enlarge_in -= 1
            if enlarge_in == 0:
                enlarge_in, num_bits = 1 << num_bits, num_bits + 1
            pending.discard(w)
        else:
            write(dictionary[w], num_bits)
        enlarge_in -= 1
        if enlarge_in == 0:
            enlarge_in, num_bits = 1 << num_bits, num_bits + 1

    for unit in _code_units(text):
        if unit not in dictionary:
            dictionary[unit] = dict_size
            dict_size += 1
            pending.add(unit)
        if word + unit in dictionary:
            word += unit
            continue
        emit(word)
        dictionary[word + unit] = dict_size
        dict_size += 1
        word = unit
    if word:
        emit(word)
    write(2, num_bits)
    stream = "".join(bits) + "0"  # the JS flush always shifts in at least one zero bit
    stream += "0" * (-len(stream) % 6)
    out = "".join(_ALPHABET[int(stream[i : i + 6], 2)] for i in range(0, len(stream), 6))
    return out + "=" * (-len(out) % 4)


def decompress_from_base64(text: str, *, max_output: int | None = None) -> str:
    """`LZString.decompressFromBase64(text)`; raises ValueError where JS returns "" or null.

    `max_output` caps the result in UTF-16 code units (raises `OutputTooLarge`): a small
    input can otherwise expand quadratically.
    """
    if not text:
        raise ValueError("lz-string input is empty")
    try:
        stream = "".join(map(_SIX_BITS.__getitem__, text))
    except KeyError as err:
        raise ValueError(f"lz-string input has a character outside base64: {err}") from None
    end = len(stream)
    stream += "0" * 64  # JS reads zeros past the end; the loop check below stops it
    pos = 0

    def read(width: int) -> int:
        nonlocal pos
        value = int(stream[pos : pos + width][::-1], 2)
        pos += width
        return value

    def literal(code: int) -> str:
        return chr(read(8 if code == 0 else 16))

    first = read(2)
    if first == 2:
        return ""
    if first == 3:
        raise ValueError("lz-string stream starts with an invalid code")
    word = literal(first)
    dictionary: list[str] = ["", "", "", word]
    result = [word]
    size = 1
    enlarge_in, num_bits = 4, 3
    while True:
        if pos >= end:
            raise ValueError("lz-string stream ends without its end marker (truncated?)")
        code = read(num_bits)
        if code == 2:
            return _from_code_units("".join(result))
        if code < 2:
            dictionary.append(literal(code))
            code = len(dictionary) - 1
            enlarge_in -= 1
            if enlarge_in == 0:
                enlarge_in, num_bits = 1 << num_bits, num_bits + 1
        if code < len(dictionary):
            entry = dictionary[code]
        elif code == len(dictionary):
            entry = word + word[0]
        else:
            raise ValueError("lz-string stream refers to a dictionary entry that does not exist")
        size += len(entry)
        if max_output is not None and size > max_output:
            raise OutputTooLarge(f"lz-string output exceeds {max_output} characters")
        result.append(entry)
        dictionary.append(word + entry[0])
        enlarge_in -= 1
        word = entry
        if enlarge_in == 0:
            enlarge_in, num_bits = 1 << num_bits, num_bits + 1
