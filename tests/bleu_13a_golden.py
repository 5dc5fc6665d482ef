#!/usr/bin/env python3
"""Writes tests/golden/bleu_13a.txt: random lines and their 13a tokenization as Python's re and
str.split() give it, for tests/test_bleu.c to check nnrun's byte-level tokenizer against.

The rules are mteval-v13a's as sacreBLEU 2.x applies them (its tokenizer_13a: literal
replacements, then four regular expressions, then str.split()); written out here from that
description. Run once (the output is committed): python3 tests/bleu_13a_golden.py

Each case is two lines, "in  " + the line and "out " + its tokens joined by single spaces. Lines
never hold '\n' (nnrun bleu reads one sentence a line; test_bleu.c checks "-\n" by hand) but do
hold '\r', tabs, Unicode spaces and non-space look-alikes (U+200B)."""
import random
import re

REPLACEMENTS = [("<skipped>", ""), ("-\n", ""), ("\n", " "), ("&quot;", '"'), ("&amp;", "&"),
                ("&lt;", "<"), ("&gt;", ">")]
RULES = [(re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),
         (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),
         (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),
         (re.compile(r"([0-9])(-)"), r"\1 \2 ")]


def tokenize_13a(line):
    for old, new in REPLACEMENTS:
        line = line.replace(old, new)
    line = " " + line + " "
    for pattern, repl in RULES:
        line = pattern.sub(repl, line)
    return " ".join(line.split())


PIECES = (["the", "cat", "Sat", "mat", "a", "I", "don't", "l'homme", "état", "ţară", "中文", "😀", "naïve"] +
          ["1", "3.14", "1,000", "2-3", "10-", "-5", "v1.2.3", "a.b", "x,y", ".5", "5.", ",", ".", "..", "...",
           "-", "--", "'", "\""] +
          list("!\"#$%&()*+/:;<=>?@[\\]^_`{|}~") +
          ["&quot;", "&amp;", "&lt;", "&gt;", "&amp;lt;", "&quot", "<skipped>", "<skip<skipped>ped>"] +
          ["\u200b", "é.", "中.", "。", "，"])
SPACES = [" ", " ", " ", "  ", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\u00a0", "\u0085", "\u2009",
          "\u3000", "\u2028", "\u202f", "\u1680", ""]


def random_line(r):
    return "".join(r.choice(PIECES) + r.choice(SPACES) for _ in range(r.randint(0, 14)))


def main():
    r = random.Random(13)
    fixed = ["", " ", "The cat sat on the mat.", "It costs $1,000.50 (or 3.14-2.71).",
             "Pages 10-20, and 3-4.", "\"Quoted,\" she said...", "a.,b", "1.,2", "x&amp;lt;y"]
    with open("tests/golden/bleu_13a.txt", "w", encoding="utf-8", newline="\n") as f:
        for line in fixed + [random_line(r) for _ in range(300)]:
            assert "\n" not in line
            f.write("in  " + line + "\n" + "out " + tokenize_13a(line) + "\n")


if __name__ == "__main__":
    main()
